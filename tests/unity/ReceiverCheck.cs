// ReceiverCheck.cs — drives AvatarDriveReceiver (compiled against UnityEngineStub.cs) the way
// Unity would: OnEnable, Update every few milliseconds, OnDisable. Run by tests/test_engines.py.
//
//   ReceiverCheck.exe <auto|generic|vmc> <blendshape names, comma-separated>
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
        var receiver = new AvatarDriveReceiver
        {
            port = 0,
            protocol = (AvatarDriveProtocol)Enum.Parse(typeof(AvatarDriveProtocol), args[0], true),
            targets = new[] { renderer },
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
            updates++;
            if (settleUntil < 0 && receiver.Frames >= expected) settleUntil = clock.ElapsedMilliseconds + 200;
            if (settleUntil >= 0 && clock.ElapsedMilliseconds >= settleUntil) break;
            Thread.Sleep(5);
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
            Json.Member("unmatched", "[" + string.Join(",", unmatched) + "]") }));
        return 0;
    }
}
