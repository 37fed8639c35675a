// AvatarDriveReceiver.cs — receives avatardrive's OSC stream (generic or VMC) over UDP and drives
// the blendshapes of one or more SkinnedMeshRenderers. Put it on any GameObject, drag the face
// renderer(s) into "Targets", press Play, then e.g. `avatardrive play … --to vmc://127.0.0.1:39539`.
//
// Threading: none. The UDP socket is non-blocking and polled in Update() on the main thread: each
// frame drains every pending datagram, parses it with AvatarDriveOscParser, merges the frames it
// completed (newest value per shape wins) and calls SkinnedMeshRenderer.SetBlendShapeWeight
// (value × 100, Unity's 0–100 scale). Names match the mesh's blendshape names case-insensitively
// with ARKit aliases (mouthSmileLeft = MouthSmileLeft = mouthSmile_L) unless "Loose Names" is off.
// Requires AvatarDriveOscParser.cs in the same project.

using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using UnityEngine;

namespace AvatarDrive
{
    public class AvatarDriveReceiver : MonoBehaviour
    {
        [Header("Network")]
        [Tooltip("UDP port to listen on (VMC's default is 39539; 0 picks a free port)")]
        public int port = 39539;
        [Tooltip("Listen on all interfaces (senders on other machines) instead of 127.0.0.1 only")]
        public bool listenOnAllInterfaces = false;
        public AvatarDriveProtocol protocol = AvatarDriveProtocol.Auto;
        [Tooltip("Address prefix of the generic schema")]
        public string genericPrefix = AvatarDriveFrameDecoder.DefaultPrefix;
        [Tooltip("Most datagrams read per Update, so that a flood cannot stall a frame")]
        public int maxDatagramsPerUpdate = 10000;

        [Header("Targets")]
        public SkinnedMeshRenderer[] targets = new SkinnedMeshRenderer[0];
        [Tooltip("Case-insensitive names with ARKit aliases (mouthSmile_L = mouthSmileLeft)")]
        public bool looseNames = true;
        [Tooltip("Blendshape weight for a value of 1 (Unity's blendshapes run 0-100)")]
        public float weightScale = 100f;

        // Status, read by editors or UI.
        public int BoundPort { get { return socket != null ? ((IPEndPoint)socket.LocalEndPoint).Port : 0; } }
        public long Packets { get; private set; }
        public long Malformed { get; private set; }
        public long FramesApplied { get; private set; }
        public long Frames { get { return decoder != null ? decoder.Frames : 0; } }
        public long IgnoredMessages { get { return decoder != null ? decoder.Ignored : 0; } }
        public string LastError { get; private set; }
        public readonly HashSet<string> UnmatchedNames = new HashSet<string>();

        const int MaxUnmatched = 64;
        readonly byte[] buffer = new byte[65535];
        readonly List<OscMessage> messages = new List<OscMessage>();
        readonly List<Dictionary<string, float>> completed = new List<Dictionary<string, float>>();
        readonly Dictionary<string, float> latest = new Dictionary<string, float>();
        readonly Dictionary<SkinnedMeshRenderer, BoundMesh> bound = new Dictionary<SkinnedMeshRenderer, BoundMesh>();
        Socket socket;
        AvatarDriveFrameDecoder decoder;

        sealed class BoundMesh
        {
            public Mesh Mesh;
            public int Count;
            public AvatarDriveNameMatcher Matcher;
        }

        void OnEnable()
        {
            LastError = "";
            try
            {
                decoder = new AvatarDriveFrameDecoder(protocol, genericPrefix);
                socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                socket.ReceiveBufferSize = 1 << 20; // ride out a hitch of a second or so
                socket.Blocking = false;
                socket.Bind(new IPEndPoint(listenOnAllInterfaces ? IPAddress.Any : IPAddress.Loopback, port));
            }
            catch (Exception error) when (error is SocketException || error is ArgumentException)
            {
                LastError = "cannot listen on UDP " + port + ": " + error.Message;
                Debug.LogError("AvatarDriveReceiver: " + LastError);
                CloseSocket();
            }
        }

        void OnDisable()
        {
            CloseSocket();
        }

        void CloseSocket()
        {
            if (socket != null) socket.Close();
            socket = null;
        }

        void Update()
        {
            if (socket == null) return;
            latest.Clear();
            for (int i = 0; i < maxDatagramsPerUpdate; i++)
            {
                int count;
                try
                {
                    if (socket.Available == 0) break;
                    count = socket.Receive(buffer, 0, buffer.Length, SocketFlags.None);
                }
                catch (SocketException error)
                {
                    if (error.SocketErrorCode == SocketError.WouldBlock) break;
                    if (error.SocketErrorCode == SocketError.ConnectionReset) continue; // Windows ICMP
                    LastError = "receive failed: " + error.Message;
                    break;
                }
                Packets++;
                messages.Clear();
                if (!AvatarDriveOscParser.TryParse(buffer, count, messages))
                {
                    Malformed++;
                    LastError = "malformed datagram of " + count + " bytes ignored";
                    continue;
                }
                completed.Clear();
                decoder.Feed(messages, completed);
                foreach (var frame in completed)
                    foreach (var pair in frame)
                        latest[pair.Key] = pair.Value;
            }
            if (latest.Count > 0) Apply(latest);
        }

        void Apply(Dictionary<string, float> values)
        {
            foreach (var renderer in targets)
            {
                if (renderer == null || renderer.sharedMesh == null) continue;
                var matcher = MatcherFor(renderer);
                foreach (var pair in values)
                {
                    int[] indices = matcher.Match(pair.Key);
                    if (indices.Length == 0 && UnmatchedNames.Count < MaxUnmatched) UnmatchedNames.Add(pair.Key);
                    foreach (int index in indices)
                        renderer.SetBlendShapeWeight(index, pair.Value * weightScale);
                }
            }
            FramesApplied++;
        }

        AvatarDriveNameMatcher MatcherFor(SkinnedMeshRenderer renderer)
        {
            Mesh mesh = renderer.sharedMesh;
            BoundMesh entry;
            if (!bound.TryGetValue(renderer, out entry) || entry.Mesh != mesh || entry.Count != mesh.blendShapeCount)
            {
                var names = new string[mesh.blendShapeCount];
                for (int i = 0; i < names.Length; i++) names[i] = mesh.GetBlendShapeName(i);
                entry = new BoundMesh { Mesh = mesh, Count = names.Length, Matcher = new AvatarDriveNameMatcher(names, looseNames) };
                bound[renderer] = entry;
                UnmatchedNames.Clear();
            }
            return entry.Matcher;
        }
    }
}
