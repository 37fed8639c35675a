"""Built-in rig files, shipped as the package data dir ``avatardrive.rigs``.

This folder is the top-level ``rigs/`` of the repository; pyproject.toml maps it to the package
``avatardrive.rigs`` so the rig files ship inside the wheel. Load them with
:func:`avatardrive.retarget.load_rig`; ``examples/`` holds a worked example of a user rig.
"""
