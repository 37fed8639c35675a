"""Author a 30-second conversation scene in code, save it, load it back, render it, write curves.

    python demo/author_timeline.py [--out demo-out] [--show] [--png FILE.png]

With ``--show`` it then opens the authoring plot of the saved scene (needs the gui extra and a
display), watching the file: edit demo/timelines/conversation.toml and the plot follows. With
``--png`` it writes the plot as an image instead (no display needed), through
``avatardrive.views.plot``.

The scene: a felt (Duchenne) smile, a posed social smile, surprise turning into fear (a
transition: the brows never drop between them), a micro-expression of contempt masked by a smile,
sadness stronger on the left that deepens in two steps (intensity keys), a brow flash for
emphasis, amusement, and conversational blinking - on a face whose left side is a little stronger,
over a mood that sinks from content to low while the news sinks in.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from avatardrive.curves import write_curves
from avatardrive.synth import render
from avatardrive.timeline import Timeline, load_timeline

HERE = Path(__file__).resolve().parent
SCENE = HERE / "timelines" / "conversation.toml"


def build_scene() -> Timeline:
    """The conversation scene, built with the authoring API."""
    scene = Timeline(fps=60, duration=30.0, seed=7, asymmetry=0.08, blink_rate=22)
    # A greeting: a felt smile, AU6 following AU12 (the prototype's lag).
    scene.emotion("happiness", at=0.5, intensity=0.7, apex=2.0, label="felt smile")
    # A polite, posed social smile: AU12 alone, fast and symmetric.
    scene.emotion("happiness.social", at=4.5, style="posed", intensity=0.8, label="posed smile")
    # Surprise turning into fear: the brows and lids they share hand over, never dipping.
    scene.emotion("surprise", at=8.0, intensity=0.8, apex=0.8, label="surprise")
    scene.emotion("fear", at=9.2, intensity=0.7, onset=0.6, apex=1.5, offset=1.5, label="fear",
                  after="surprise")  # fmt: skip
    # A flash of contempt on the right, masked by a smile that follows it.
    scene.micro("contempt", at=13.6, intensity=0.35, side="right", label="micro contempt")
    scene.emotion(
        "happiness.social", at=13.9, intensity=0.6, style="posed", apex=1.5, label="masking smile"
    )
    # Sadness, stronger on the left, deepening in two steps and held for a while.
    scene.emotion(
        "sadness",
        at=17.5,
        keys=[(0.0, 0.45), (2.0, 0.75)],
        onset=0.9,
        apex=1.5,
        offset=2.0,
        asymmetry=0.3,
        label="sadness (left stronger)",
    )
    # A brow flash for emphasis while speaking.
    scene.aus(
        {"AU1": 0.6, "AU2": 0.6},
        at=24.0,
        style="posed",
        onset=0.15,
        apex=0.25,
        offset=0.3,
        label="brow flash",
    )
    # Amusement to close.
    scene.emotion("amusement", at=26.0, intensity=0.8, label="amusement")
    # Under it all, a mood: content at first, sinking low with the bad news, recovering a little.
    scene.mood_key(at=0.0, valence=0.25, arousal=-0.1)
    scene.mood_key(at=12.0, valence=0.2, arousal=0.0)
    scene.mood_key(at=17.0, valence=-0.35, arousal=-0.15)
    scene.mood_key(at=26.0, valence=0.0, arousal=0.0)
    return scene


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo-out", help="folder for the rendered curves")
    parser.add_argument(
        "--show", action="store_true", help="then open the authoring plot of the scene (gui extra)"
    )
    parser.add_argument("--png", help="then write the authoring plot of the scene to this PNG")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    scene = build_scene()
    scene.save(str(SCENE))
    loaded = load_timeline(SCENE)
    assert loaded == scene, "the saved timeline does not read back as the same model"
    curves = render(loaded)
    target = out / "conversation-authored.csv"
    write_curves(curves, target)
    print(
        f"saved {SCENE.relative_to(HERE.parent)} ({len(scene.events)} events); "
        f"rendered {curves.n_frames} frames x {len(curves.names)} channels -> {target}"
    )
    if args.png:
        from avatardrive import views  # Qt loads only here

        views.plot(loaded, path=args.png, rig="arkit52")
        print(f"plotted the scene -> {args.png}")
    if args.show:
        from avatardrive.cli import main as avatardrive_cli  # the plot's Qt loads only here

        return avatardrive_cli(["plot", str(SCENE), "--watch"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
