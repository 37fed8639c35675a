// AvatarDriveOscParser.cs — OSC 1.0 datagrams → messages → blendshape frames. Plain C# (C# 7,
// .NET Standard 2.0 / Mono), no UnityEngine: it compiles with `mcs` and is tested outside Unity.
//
// Parser (AvatarDriveOscParser.TryParse): strict, for datagrams from untrusted peers. A datagram
// must be exactly one well-formed OSC packet: a non-empty multiple of 4 bytes; strings UTF-8,
// NUL-terminated and NUL-padded to 4 bytes; an address starting with '/'; type tags starting with
// ','; a message ending exactly where its arguments end; bundles "#bundle\0" + 8-byte timetag +
// int32-size-prefixed elements (positive multiples of 4 that fit), nested at most MaxDepth deep.
// Anything else: TryParse returns false and nothing is thrown. A message with a type tag this
// parser does not know (OSC 1.1 arrays '[' ']' included) keeps its address and tags but gets
// Args == null, so that receivers skip it; its bundle siblings are kept.
// Argument types: i → int, h → long, t → ulong, c → char, r → uint, f → float, d → double,
// s S → string, b → byte[], m → byte[4], T F → bool, N → null, I → float.PositiveInfinity.
//
// Frames (AvatarDriveFrameDecoder): avatardrive's generic schema "<prefix><shape> ,f" (one frame
// per datagram, i.e. per bundle; "<prefix>au/..." and deeper paths ignored) and the VMC protocol
// "/VMC/Ext/Blend/Val ,sf" (values pending until "/VMC/Ext/Blend/Apply", which completes a
// frame). Values clamp to [0, 1]; NaN, unknown addresses and wrong type tags are ignored.
// Bones: VMC "/VMC/Ext/Bone/Pos ,sfffffff" (name, position, rotation x y z w; kept with the frame
// until its Apply) and the generic "<prefix>head ,fff" / "<prefix>gaze ,ff" (degrees: yaw + toward
// the performer's own left, pitch + up, roll + toward the own left shoulder) end up in
// AvatarDriveFrameDecoder.Poses as Unity local rotations (x, y, z, w) of Neck, Head, LeftEye,
// RightEye (AvatarDriveBones: Unity about Y = -yaw, about X = -pitch, about Z = +roll, yaw
// outermost, as avatardrive's retarget/_bones.py defines it).
//
// Names (AvatarDriveNames, AvatarDriveNameMatcher): case-insensitive matching with ARKit aliases:
// mouthSmileLeft = MouthSmileLeft = mouthSmile_L = mouth_smile_left (same rule as the Blender
// add-on's names.py).

using System;
using System.Collections.Generic;
using System.Text;

namespace AvatarDrive
{
    /// <summary>One decoded OSC message. Args is null when a type tag is unknown.</summary>
    public sealed class OscMessage
    {
        public readonly string Address;
        public readonly string TypeTags; // without the leading ','
        public readonly object[] Args;

        public OscMessage(string address, string typeTags, object[] args)
        {
            Address = address;
            TypeTags = typeTags;
            Args = args;
        }
    }

    /// <summary>Strict OSC 1.0 datagram parser (messages and nested bundles).</summary>
    public static class AvatarDriveOscParser
    {
        public const int MaxDepth = 8;
        static readonly byte[] BundleTag = { (byte)'#', (byte)'b', (byte)'u', (byte)'n', (byte)'d', (byte)'l', (byte)'e', 0 };
        static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(false, true);

        sealed class MalformedException : Exception { }
        sealed class UnknownTagException : Exception { }

        /// <summary>
        /// Parses data[0..count) and appends its messages, depth first, to <paramref name="messages"/>.
        /// Returns false (and appends nothing) if the datagram is not one well-formed OSC packet.
        /// </summary>
        public static bool TryParse(byte[] data, int count, List<OscMessage> messages)
        {
            if (data == null || messages == null || count <= 0 || count > data.Length || count % 4 != 0)
                return false;
            int before = messages.Count;
            try
            {
                Element(data, 0, count, MaxDepth, messages);
                return true;
            }
            catch (MalformedException) { }
            catch (ArgumentException) { } // invalid UTF-8 (DecoderFallbackException) and friends
            messages.RemoveRange(before, messages.Count - before);
            return false;
        }

        public static bool TryParse(byte[] data, List<OscMessage> messages)
        {
            return TryParse(data, data == null ? 0 : data.Length, messages);
        }

        static void Element(byte[] data, int start, int end, int depthLeft, List<OscMessage> output)
        {
            if (IsBundle(data, start, end))
            {
                if (depthLeft < 1) throw new MalformedException();
                Bundle(data, start, end, depthLeft - 1, output);
            }
            else
            {
                output.Add(Message(data, start, end));
            }
        }

        static bool IsBundle(byte[] data, int start, int end)
        {
            if (end - start < BundleTag.Length) return false;
            for (int i = 0; i < BundleTag.Length; i++)
                if (data[start + i] != BundleTag[i]) return false;
            return true;
        }

        static void Bundle(byte[] data, int start, int end, int depthLeft, List<OscMessage> output)
        {
            int pos = start + BundleTag.Length;
            if (end - pos < 8) throw new MalformedException(); // timetag
            pos += 8;
            while (pos < end)
            {
                if (end - pos < 4) throw new MalformedException();
                int size = ReadInt32(data, pos);
                pos += 4;
                if (size <= 0 || size % 4 != 0 || size > end - pos) throw new MalformedException();
                Element(data, pos, pos + size, depthLeft, output);
                pos += size;
            }
        }

        static OscMessage Message(byte[] data, int start, int end)
        {
            int pos;
            string address = ReadString(data, start, end, out pos);
            if (address.Length == 0 || address[0] != '/') throw new MalformedException();
            if (pos == end) return new OscMessage(address, "", new object[0]); // no type tags
            string tags = ReadString(data, pos, end, out pos);
            if (tags.Length == 0 || tags[0] != ',') throw new MalformedException();
            tags = tags.Substring(1);
            object[] args;
            try
            {
                args = Arguments(data, ref pos, end, tags);
            }
            catch (UnknownTagException)
            {
                return new OscMessage(address, tags, null);
            }
            if (pos != end) throw new MalformedException();
            return new OscMessage(address, tags, args);
        }

        static object[] Arguments(byte[] data, ref int pos, int end, string tags)
        {
            var args = new object[tags.Length];
            for (int i = 0; i < tags.Length; i++)
            {
                char tag = tags[i];
                switch (tag)
                {
                    case 'T': args[i] = true; break;
                    case 'F': args[i] = false; break;
                    case 'N': args[i] = null; break;
                    case 'I': args[i] = float.PositiveInfinity; break;
                    case 'i': Need(pos, end, 4); args[i] = ReadInt32(data, pos); pos += 4; break;
                    case 'c': Need(pos, end, 4); args[i] = (char)ReadInt32(data, pos); pos += 4; break;
                    case 'r': Need(pos, end, 4); args[i] = (uint)ReadInt32(data, pos); pos += 4; break;
                    case 'f': Need(pos, end, 4); args[i] = ReadFloat(data, pos); pos += 4; break;
                    case 'h': Need(pos, end, 8); args[i] = ReadInt64(data, pos); pos += 8; break;
                    case 't': Need(pos, end, 8); args[i] = (ulong)ReadInt64(data, pos); pos += 8; break;
                    case 'd': Need(pos, end, 8); args[i] = BitConverter.Int64BitsToDouble(ReadInt64(data, pos)); pos += 8; break;
                    case 'm':
                        Need(pos, end, 4);
                        var midi = new byte[4];
                        Array.Copy(data, pos, midi, 0, 4);
                        args[i] = midi;
                        pos += 4;
                        break;
                    case 's':
                    case 'S':
                        args[i] = ReadString(data, pos, end, out pos);
                        break;
                    case 'b':
                        args[i] = ReadBlob(data, ref pos, end);
                        break;
                    default:
                        throw new UnknownTagException();
                }
            }
            return args;
        }

        static void Need(int pos, int end, int size)
        {
            if (end - pos < size) throw new MalformedException();
        }

        static string ReadString(byte[] data, int start, int end, out int next)
        {
            int nul = Array.IndexOf(data, (byte)0, start, end - start);
            if (nul < 0) throw new MalformedException();
            int stop = nul + 4 - (nul - start) % 4; // first byte after the padding
            if (stop > end) throw new MalformedException();
            for (int i = nul; i < stop; i++)
                if (data[i] != 0) throw new MalformedException();
            next = stop;
            return StrictUtf8.GetString(data, start, nul - start);
        }

        static byte[] ReadBlob(byte[] data, ref int pos, int end)
        {
            Need(pos, end, 4);
            int size = ReadInt32(data, pos);
            int begin = pos + 4;
            if (size < 0 || size > end - begin) throw new MalformedException();
            int stop = begin + size + (4 - size % 4) % 4;
            if (stop > end) throw new MalformedException();
            for (int i = begin + size; i < stop; i++)
                if (data[i] != 0) throw new MalformedException();
            var blob = new byte[size];
            Array.Copy(data, begin, blob, 0, size);
            pos = stop;
            return blob;
        }

        static int ReadInt32(byte[] data, int pos)
        {
            return (data[pos] << 24) | (data[pos + 1] << 16) | (data[pos + 2] << 8) | data[pos + 3];
        }

        static long ReadInt64(byte[] data, int pos)
        {
            return ((long)ReadInt32(data, pos) << 32) | (uint)ReadInt32(data, pos + 4);
        }

        static float ReadFloat(byte[] data, int pos)
        {
            return BitConverter.ToSingle(BitConverter.GetBytes(ReadInt32(data, pos)), 0);
        }
    }

    public enum AvatarDriveProtocol
    {
        Auto,    // generic and VMC at once
        Generic, // "<prefix><shape> ,f", one frame per datagram
        Vmc,     // "/VMC/Ext/Blend/Val ,sf" ... "/VMC/Ext/Blend/Apply"
    }

    /// <summary>Head and gaze angles → Unity local rotations (x, y, z, w), avatardrive's convention.</summary>
    public static class AvatarDriveBones
    {
        public static readonly string[] Roles = { "Neck", "Head", "LeftEye", "RightEye" };

        /// <summary>Unity rotation of avatardrive's head angles in degrees (yaw, pitch, roll).</summary>
        public static float[] HeadRotation(double yaw, double pitch, double roll)
        {
            double[] q = Multiply(Multiply(Axis(1, -yaw), Axis(0, -pitch)), Axis(2, roll));
            return new[] { (float)q[0], (float)q[1], (float)q[2], (float)q[3] };
        }

        /// <summary>Unity rotation of both eyes for a gaze in degrees (yaw, pitch).</summary>
        public static float[] GazeRotation(double yaw, double pitch)
        {
            return HeadRotation(yaw, pitch, 0.0);
        }

        static double[] Axis(int axis, double degrees)
        {
            double half = degrees * Math.PI / 360.0;
            var q = new double[] { 0.0, 0.0, 0.0, Math.Cos(half) };
            q[axis] = Math.Sin(half);
            return q;
        }

        static double[] Multiply(double[] a, double[] b)
        {
            return new[] {
                a[3] * b[0] + a[0] * b[3] + a[1] * b[2] - a[2] * b[1],
                a[3] * b[1] - a[0] * b[2] + a[1] * b[3] + a[2] * b[0],
                a[3] * b[2] + a[0] * b[1] - a[1] * b[0] + a[2] * b[3],
                a[3] * b[3] - a[0] * b[0] - a[1] * b[1] - a[2] * b[2] };
        }

    }

    /// <summary>Messages of each datagram → complete frames (shape name → value in [0, 1]).</summary>
    public sealed class AvatarDriveFrameDecoder
    {
        public const string DefaultPrefix = "/avatardrive/";
        public const string VmcValue = "/VMC/Ext/Blend/Val";
        public const string VmcApply = "/VMC/Ext/Blend/Apply";
        public const string VmcBone = "/VMC/Ext/Bone/Pos";
        public const int MaxPending = 1024; // distinct VMC names kept while waiting for Apply

        public readonly AvatarDriveProtocol Protocol;
        public readonly string Prefix;
        public long Frames { get; private set; }   // frames completed so far
        public long Messages { get; private set; } // messages seen so far
        public long Ignored { get; private set; }  // unknown address, wrong tags, NaN, other protocol
        public long PoseFrames { get; private set; } // frames that brought bone rotations
        /// <summary>Newest rotation (Unity x, y, z, w; normalized) of each bone, from completed frames.</summary>
        public readonly Dictionary<string, float[]> Poses = new Dictionary<string, float[]>();

        Dictionary<string, float> pending = new Dictionary<string, float>();
        Dictionary<string, float[]> pendingPoses = new Dictionary<string, float[]>();

        public AvatarDriveFrameDecoder(AvatarDriveProtocol protocol = AvatarDriveProtocol.Auto,
                                       string prefix = DefaultPrefix)
        {
            if (prefix == null || !prefix.StartsWith("/", StringComparison.Ordinal)
                || !prefix.EndsWith("/", StringComparison.Ordinal))
                throw new ArgumentException("prefix must start and end with '/'", "prefix");
            Protocol = protocol;
            Prefix = prefix;
        }

        /// <summary>Decodes the messages of one datagram; appends the frames it completed, in order.</summary>
        public void Feed(List<OscMessage> messages, List<Dictionary<string, float>> frames)
        {
            Dictionary<string, float> generic = null;
            Dictionary<string, float[]> genericPoses = null;
            foreach (var message in messages)
            {
                Messages++;
                if (message.Address.StartsWith(Prefix, StringComparison.Ordinal))
                {
                    string shape = message.Address.Substring(Prefix.Length);
                    if (shape == "head" || shape == "gaze")
                    {
                        double[] angles = Finite(message, shape == "head" ? "fff" : "ff", 0);
                        if (Protocol == AvatarDriveProtocol.Vmc || angles == null)
                        {
                            Ignored++;
                            continue;
                        }
                        if (genericPoses == null) genericPoses = new Dictionary<string, float[]>();
                        if (shape == "head")
                            genericPoses["Head"] = AvatarDriveBones.HeadRotation(angles[0], angles[1], angles[2]);
                        else
                            genericPoses["LeftEye"] = genericPoses["RightEye"] = AvatarDriveBones.GazeRotation(angles[0], angles[1]);
                        continue;
                    }
                    float value;
                    if (Protocol == AvatarDriveProtocol.Vmc || shape.Length == 0 || shape.IndexOf('/') >= 0
                        || !TryValue(message, "f", 0, out value))
                    {
                        Ignored++;
                        continue;
                    }
                    if (generic == null) generic = new Dictionary<string, float>();
                    generic[shape] = value;
                }
                else if (message.Address == VmcApply || message.Address == VmcValue || message.Address == VmcBone)
                {
                    Vmc(message, frames);
                }
                else
                {
                    Ignored++;
                }
            }
            if (generic != null)
            {
                frames.Add(generic);
                Frames++;
            }
            if (genericPoses != null) Commit(genericPoses);
        }

        void Commit(Dictionary<string, float[]> poses)
        {
            foreach (var pair in poses) Poses[pair.Key] = pair.Value;
            PoseFrames++;
        }

        /// <summary>The float arguments from <paramref name="first"/> on, if the tags match and all are finite.</summary>
        static double[] Finite(OscMessage message, string tags, int first)
        {
            if (message.TypeTags != tags || message.Args == null) return null;
            var values = new double[message.Args.Length - first];
            for (int i = first; i < message.Args.Length; i++)
            {
                float number = (float)message.Args[i];
                if (float.IsNaN(number) || float.IsInfinity(number)) return null;
                values[i - first] = number;
            }
            return values;
        }

        /// <summary>Forgets VMC values still waiting for their Apply.</summary>
        public void Reset()
        {
            pending = new Dictionary<string, float>();
            pendingPoses = new Dictionary<string, float[]>();
        }

        void Vmc(OscMessage message, List<Dictionary<string, float>> frames)
        {
            if (Protocol == AvatarDriveProtocol.Generic)
            {
                Ignored++;
            }
            else if (message.Address == VmcApply)
            {
                if (message.TypeTags.Length != 0)
                {
                    Ignored++;
                    return;
                }
                frames.Add(pending);
                Frames++;
                pending = new Dictionary<string, float>();
                if (pendingPoses.Count > 0)
                {
                    Commit(pendingPoses);
                    pendingPoses = new Dictionary<string, float[]>();
                }
            }
            else if (message.Address == VmcBone)
            {
                string name = message.Args != null && message.Args.Length > 0 ? message.Args[0] as string : null;
                double[] values = Finite(message, "sfffffff", 1);
                double norm = 0.0;
                if (values != null)
                    for (int i = 3; i < 7; i++) norm += values[i] * values[i];
                norm = Math.Sqrt(norm);
                bool full = pendingPoses.Count >= MaxPending && name != null && !pendingPoses.ContainsKey(name);
                if (string.IsNullOrEmpty(name) || values == null || norm < 1e-6 || full)
                {
                    Ignored++;
                    return;
                }
                pendingPoses[name] = new[] { (float)(values[3] / norm), (float)(values[4] / norm),
                                             (float)(values[5] / norm), (float)(values[6] / norm) };
            }
            else
            {
                float value;
                string name = message.Args != null && message.Args.Length > 0 ? message.Args[0] as string : null;
                bool full = pending.Count >= MaxPending && name != null && !pending.ContainsKey(name);
                if (!TryValue(message, "sf", 1, out value) || string.IsNullOrEmpty(name) || full)
                {
                    Ignored++;
                    return;
                }
                pending[name] = value;
            }
        }

        static bool TryValue(OscMessage message, string tags, int index, out float value)
        {
            value = 0f;
            if (message.TypeTags != tags || message.Args == null) return false;
            float number = (float)message.Args[index];
            if (float.IsNaN(number)) return false;
            value = number < 0f ? 0f : (number > 1f ? 1f : number);
            return true;
        }
    }

    /// <summary>Loose shape-name keys: case-insensitive, with ARKit / VRM side aliases.</summary>
    public static class AvatarDriveNames
    {
        /// <summary>
        /// Lower-case; a one-letter side suffix "_L"/"_R" (also ".L", "-L", " L") becomes
        /// "left"/"right"; separators "_ . - space" are dropped. mouthSmile_L → mouthsmileleft.
        /// </summary>
        public static string LooseKey(string name)
        {
            string key = name.ToLowerInvariant();
            int n = key.Length;
            if (n >= 2 && IsSeparator(key[n - 2]) && (key[n - 1] == 'l' || key[n - 1] == 'r'))
                key = key.Substring(0, n - 2) + (key[n - 1] == 'l' ? "left" : "right");
            var builder = new StringBuilder(key.Length);
            foreach (char c in key)
                if (!IsSeparator(c)) builder.Append(c);
            return builder.ToString();
        }

        static bool IsSeparator(char c)
        {
            return c == '_' || c == '.' || c == '-' || c == ' ';
        }
    }

    /// <summary>Finds the indices of target names (e.g. a mesh's blendshapes) for incoming names.</summary>
    public sealed class AvatarDriveNameMatcher
    {
        static readonly int[] None = new int[0];
        readonly Dictionary<string, int[]> exact = new Dictionary<string, int[]>(StringComparer.Ordinal);
        readonly Dictionary<string, int[]> loose = new Dictionary<string, int[]>(StringComparer.Ordinal);
        readonly Dictionary<string, int[]> cache = new Dictionary<string, int[]>(StringComparer.Ordinal);
        readonly bool looseNames;

        /// <param name="targets">Target names by index (null entries are skipped).</param>
        /// <param name="looseNames">Case-insensitive with aliases (true) or exact names only.</param>
        public AvatarDriveNameMatcher(IList<string> targets, bool looseNames = true)
        {
            this.looseNames = looseNames;
            var grouped = new Dictionary<string, List<int>>(StringComparer.Ordinal);
            for (int i = 0; i < targets.Count; i++)
            {
                string name = targets[i];
                if (name == null) continue;
                if (!exact.ContainsKey(name)) exact[name] = new[] { i };
                string key = AvatarDriveNames.LooseKey(name);
                List<int> list;
                if (!grouped.TryGetValue(key, out list)) grouped[key] = list = new List<int>();
                list.Add(i);
            }
            foreach (var pair in grouped) loose[pair.Key] = pair.Value.ToArray();
        }

        /// <summary>Indices the incoming name sets: the exact name if present, else all loose matches.</summary>
        public int[] Match(string name)
        {
            int[] found;
            if (cache.TryGetValue(name, out found)) return found;
            if (!exact.TryGetValue(name, out found))
            {
                if (!looseNames || !loose.TryGetValue(AvatarDriveNames.LooseKey(name), out found))
                    found = None;
            }
            if (cache.Count < 4096) cache[name] = found;
            return found;
        }
    }
}
