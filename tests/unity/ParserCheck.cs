// ParserCheck.cs — console driver for AvatarDriveOscParser.cs, run with mono by tests/test_engines.py.
//
//   ParserCheck.exe stream <datagrams.bin> [auto|generic|vmc] [prefix]
//       datagrams.bin: records of (uint32 big-endian length, datagram bytes). Prints one JSON line
//       per datagram {"datagram": i, "ok": bool, "messages": [[address, tags, args|null], ...]},
//       one per completed frame {"frame": k, "datagram": i, "values": {...}}, one with the bone
//       rotations after each datagram that brought some {"datagram": i, "poses": {...}}, then a
//       summary.
//   ParserCheck.exe names <names.txt>            one {"name", "key"} line per input line
//   ParserCheck.exe match <targets.txt> <queries.txt> [exact]
//                                                one {"query", "targets": [indices]} per query

using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using AvatarDrive;

static class ParserCheck
{
    static int Main(string[] args)
    {
        if (args.Length >= 2 && args[0] == "stream") return Stream(args);
        if (args.Length == 2 && args[0] == "names") return Names(args[1]);
        if (args.Length >= 3 && args[0] == "match") return Match(args);
        Console.Error.WriteLine("usage: ParserCheck.exe stream|names|match ...");
        return 2;
    }

    static int Stream(string[] args)
    {
        var protocol = AvatarDriveProtocol.Auto;
        if (args.Length > 2)
            protocol = (AvatarDriveProtocol)Enum.Parse(typeof(AvatarDriveProtocol), args[2], true);
        var decoder = args.Length > 3 ? new AvatarDriveFrameDecoder(protocol, args[3])
                                      : new AvatarDriveFrameDecoder(protocol);
        byte[] file = File.ReadAllBytes(args[1]);
        var messages = new List<OscMessage>();
        var frames = new List<Dictionary<string, float>>();
        int pos = 0, datagram = 0, malformed = 0, frameCount = 0;
        while (pos < file.Length)
        {
            if (file.Length - pos < 4) throw new InvalidDataException("truncated record length");
            int length = (file[pos] << 24) | (file[pos + 1] << 16) | (file[pos + 2] << 8) | file[pos + 3];
            pos += 4;
            if (length < 0 || length > file.Length - pos) throw new InvalidDataException("truncated record");
            var data = new byte[length];
            Array.Copy(file, pos, data, 0, length);
            pos += length;

            messages.Clear();
            bool ok = AvatarDriveOscParser.TryParse(data, messages);
            if (!ok) malformed++;
            var parts = new List<string>();
            foreach (var message in messages)
            {
                string argsJson = "null";
                if (message.Args != null)
                {
                    var values = new List<string>();
                    foreach (var arg in message.Args) values.Add(Json.Value(arg));
                    argsJson = "[" + string.Join(",", values) + "]";
                }
                parts.Add("[" + Json.Str(message.Address) + "," + Json.Str(message.TypeTags) + "," + argsJson + "]");
            }
            Console.WriteLine(Json.Object(new[] {
                Json.Member("datagram", datagram.ToString()),
                Json.Member("ok", ok ? "true" : "false"),
                Json.Member("messages", "[" + string.Join(",", parts) + "]") }));

            frames.Clear();
            long poseFrames = decoder.PoseFrames;
            decoder.Feed(messages, frames);
            if (decoder.PoseFrames != poseFrames)  // the bone rotations after this datagram
            {
                var poses = new List<KeyValuePair<string, string>>();
                foreach (var pair in decoder.Poses)
                    poses.Add(Json.Member(pair.Key, "[" + Json.Num(pair.Value[0]) + "," + Json.Num(pair.Value[1])
                                          + "," + Json.Num(pair.Value[2]) + "," + Json.Num(pair.Value[3]) + "]"));
                Console.WriteLine(Json.Object(new[] {
                    Json.Member("datagram", datagram.ToString()),
                    Json.Member("poses", Json.Object(poses)) }));
            }
            foreach (var frame in frames)
            {
                Console.WriteLine(Json.Object(new[] {
                    Json.Member("frame", frameCount.ToString()),
                    Json.Member("datagram", datagram.ToString()),
                    Json.Member("values", Json.Frame(frame)) }));
                frameCount++;
            }
            datagram++;
        }
        Console.WriteLine(Json.Object(new[] { Json.Member("summary", Json.Object(new[] {
            Json.Member("datagrams", datagram.ToString()),
            Json.Member("malformed", malformed.ToString()),
            Json.Member("frames", decoder.Frames.ToString()),
            Json.Member("messages", decoder.Messages.ToString()),
            Json.Member("ignored", decoder.Ignored.ToString()) })) }));
        return 0;
    }

    static string[] Lines(string path)
    {
        return File.ReadAllText(path, Encoding.UTF8).Split(new[] { '\n' }, StringSplitOptions.RemoveEmptyEntries);
    }

    static int Names(string path)
    {
        foreach (string name in Lines(path))
            Console.WriteLine(Json.Object(new[] {
                Json.Member("name", Json.Str(name)),
                Json.Member("key", Json.Str(AvatarDriveNames.LooseKey(name))) }));
        return 0;
    }

    static int Match(string[] args)
    {
        bool loose = !(args.Length > 3 && args[3] == "exact");
        var matcher = new AvatarDriveNameMatcher(Lines(args[1]), loose);
        foreach (string query in Lines(args[2]))
            Console.WriteLine(Json.Object(new[] {
                Json.Member("query", Json.Str(query)),
                Json.Member("targets", Json.Value(matcher.Match(query))) }));
        return 0;
    }
}
