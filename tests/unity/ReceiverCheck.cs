// ReceiverCheck.cs — drives AvatarDriveReceiver (compiled against UnityEngineStub.cs) the way
// Unity would: OnEnable, Update every few milliseconds, OnDisable. Run by tests/test_engines.py.
//
//   ReceiverCheck.exe <auto|generic|vmc> <blendshape names, comma-separated> [bones]
// With "bones", an Animator with Neck, Head, LeftEye and RightEye is driven too: its root and
// bones have rest rotations that are not the identity (a rig that is not normalized), and the
// report holds each bone's rotation change in the root's axes ({"bones": {name: [x, y, z, w]}}).
// Prints {"port": p} once listening, reads one line "<frames> <seconds>" from stdin (the sender is
// done), calls Update until that many frames were decoded (or the seconds ran out) and a little
// more, then prints {"weights": {...}, "frames": ..., ...}.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Reflection;
using System.Threading;
using AvatarDrive;
using UnityEngine;

static class ReceiverCheck
{
    static void Call(object target, string method)
    {
        // Unity calls these private messages by name; so do we.
        MethodInfo info = target.GetType().GetMethod(method, BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public);
        info.Invoke(target, null);
    }

    static int Main(string[] args)
    {
        string[] names = args[1].Split(',');
        var renderer = new SkinnedMeshRenderer { sharedMesh = new Mesh(names) };
        Animator animator = args.Length > 2 && args[2] == "bones" ? MakeAnimator() : null;
        var rest = new Dictionary<HumanBodyBones, Quaternion>();
        if (animator != null)
            foreach (var pair in animator.Bones) rest[pair.Key] = InRoot(animator, pair.Value);
        var receiver = new AvatarDriveReceiver
        {
            port = 0,
            protocol = (AvatarDriveProtocol)Enum.Parse(typeof(AvatarDriveProtocol), args[0], true),
            targets = new[] { renderer },
            animator = animator,
        };
        Call(receiver, "OnEnable");
        if (receiver.BoundPort == 0)
        {
            Console.Error.WriteLine("not listening: " + receiver.LastError);
            return 1;
        }
        Console.WriteLine("{\"port\":" + receiver.BoundPort + "}");
        Console.Out.Flush();

        string[] request = Console.ReadLine().Split(' ');
        long expected = long.Parse(request[0]);
        double seconds = double.Parse(request[1], System.Globalization.CultureInfo.InvariantCulture);
        var clock = Stopwatch.StartNew();
        long settleUntil = -1;
        int updates = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            Call(receiver, "Update");
            Call(receiver, "LateUpdate");
            updates++;
            if (settleUntil < 0 && receiver.Frames >= expected) settleUntil = clock.ElapsedMilliseconds + 200;
            if (settleUntil >= 0 && clock.ElapsedMilliseconds >= settleUntil) break;
            Thread.Sleep(5);
        }
        var boneReport = new List<KeyValuePair<string, string>>();
        if (animator != null)
            foreach (var pair in animator.Bones)
            {
                Quaternion change = InRoot(animator, pair.Value) * Quaternion.Inverse(rest[pair.Key]);
                boneReport.Add(Json.Member(pair.Key.ToString(), "[" + Json.Num(change.x) + "," + Json.Num(change.y)
                                           + "," + Json.Num(change.z) + "," + Json.Num(change.w) + "]"));
            }
        Call(receiver, "OnDisable");

        var weights = new List<KeyValuePair<string, string>>();
        for (int i = 0; i < names.Length; i++)
            weights.Add(Json.Member(names[i], Json.Num(renderer.GetBlendShapeWeight(i))));
        var unmatched = new List<string>();
        foreach (string name in receiver.UnmatchedNames) unmatched.Add(Json.Str(name));
        Console.WriteLine(Json.Object(new[] {
            Json.Member("weights", Json.Object(weights)),
            Json.Member("packets", receiver.Packets.ToString()),
            Json.Member("malformed", receiver.Malformed.ToString()),
            Json.Member("frames", receiver.Frames.ToString()),
            Json.Member("applied", receiver.FramesApplied.ToString()),
            Json.Member("ignored", receiver.IgnoredMessages.ToString()),
            Json.Member("updates", updates.ToString()),
            Json.Member("port_after_disable", receiver.BoundPort.ToString()),
            Json.Member("unmatched", "[" + string.Join(",", unmatched) + "]"),
            Json.Member("poses_applied", receiver.PosesApplied.ToString()),
            Json.Member("bones", Json.Object(boneReport)) }));
        return 0;
    }

    static Quaternion Turn(float x, float y, float z, float degrees)
    {
        double half = degrees * Math.PI / 360.0, s = Math.Sin(half);
        double n = Math.Sqrt(x * x + y * y + z * z);
        return new Quaternion((float)(x / n * s), (float)(y / n * s), (float)(z / n * s), (float)Math.Cos(half));
    }

    static Animator MakeAnimator()
    {
        var animator = new Animator();
        animator.transform.localRotation = Turn(0, 1, 0, 30);  // the avatar stands turned
        var neck = new Transform { parent = animator.transform, localRotation = Turn(1, 0, 0, 12) };
        var head = new Transform { parent = neck, localRotation = Turn(0.3f, 1, 0.2f, -40) };
        var left = new Transform { parent = head, localRotation = Turn(0, 0, 1, 90) };
        var right = new Transform { parent = head };
        animator.Bones[HumanBodyBones.Neck] = neck;
        animator.Bones[HumanBodyBones.Head] = head;
        animator.Bones[HumanBodyBones.LeftEye] = left;
        animator.Bones[HumanBodyBones.RightEye] = right;
        return animator;
    }

    static Quaternion InRoot(Animator animator, Transform bone)
    {
        return Quaternion.Inverse(animator.transform.rotation) * bone.rotation;
    }
}
