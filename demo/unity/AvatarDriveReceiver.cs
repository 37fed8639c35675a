// AvatarDriveReceiver.cs — receives avatardrive's OSC stream (generic or VMC) over UDP and drives
// the blendshapes of one or more SkinnedMeshRenderers. Put it on any GameObject, drag the face
// renderer(s) into "Targets", press Play, then e.g. `avatardrive play … --to vmc://127.0.0.1:39539`.
//
// Threading: none. The UDP socket is non-blocking and polled in Update() on the main thread: each
// frame drains every pending datagram, parses it with AvatarDriveOscParser, merges the frames it
// completed (newest value per shape wins) and calls SkinnedMeshRenderer.SetBlendShapeWeight
// (value × 100, Unity's 0–100 scale). Names match the mesh's blendshape names case-insensitively
// with ARKit aliases (mouthSmileLeft = MouthSmileLeft = mouthSmile_L) unless "Loose Names" is off.
//
// Bones: with a humanoid Animator set, the Neck, Head and eye bones follow the stream's bone
// rotations (VMC /VMC/Ext/Bone/Pos, or the generic /avatardrive/head and /avatardrive/gaze). The
// rotations are local rotations of a normalized humanoid (identity at rest, axes of the avatar's
// root); for any rig they are applied in the avatar's axes on top of the bone's rest pose, taken
// when the component is enabled: local = inverse(P) * q * P * rest, with P the parent's rest
// rotation relative to the Animator's transform (for a normalized VRM, local = q). Positions are
// not applied. Bones are set in LateUpdate, after the Animator, so they win over an idle clip.
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

        [Header("Bones")]
        [Tooltip("Humanoid Animator whose Neck, Head and eye bones the stream rotates (optional)")]
        public Animator animator;

        // Status, read by editors or UI.
        public int BoundPort { get { return socket != null ? ((IPEndPoint)socket.LocalEndPoint).Port : 0; } }
        public long Packets { get; private set; }
        public long Malformed { get; private set; }
        public long FramesApplied { get; private set; }
        public long Frames { get { return decoder != null ? decoder.Frames : 0; } }
        public long IgnoredMessages { get { return decoder != null ? decoder.Ignored : 0; } }
        public string LastError { get; private set; }
        public readonly HashSet<string> UnmatchedNames = new HashSet<string>();
        public readonly HashSet<string> MissingBones = new HashSet<string>();
        public long PosesApplied { get; private set; }

        const int MaxUnmatched = 64;
        readonly byte[] buffer = new byte[65535];
        readonly List<OscMessage> messages = new List<OscMessage>();
        readonly List<Dictionary<string, float>> completed = new List<Dictionary<string, float>>();
        readonly Dictionary<string, float> latest = new Dictionary<string, float>();
        readonly Dictionary<SkinnedMeshRenderer, BoundMesh> bound = new Dictionary<SkinnedMeshRenderer, BoundMesh>();
        Socket socket;
        AvatarDriveFrameDecoder decoder;
        readonly Dictionary<string, BoundBone> bones = new Dictionary<string, BoundBone>();
        long posesSeen;

        sealed class BoundBone
        {
            public Transform Transform;
            public Quaternion Rest;         // localRotation at enable
            public Quaternion ParentInRoot; // the parent's rest rotation in the Animator's axes
        }

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
                BindBones();
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
            foreach (var bone in bones.Values) bone.Transform.localRotation = bone.Rest;
            bones.Clear();
        }

        /// <summary>Takes the rest pose of the Animator's head and eye bones (call at rest).</summary>
        void BindBones()
        {
            bones.Clear();
            MissingBones.Clear();
            posesSeen = 0;
            if (animator == null) return;
            Quaternion toRoot = Quaternion.Inverse(animator.transform.rotation);
            foreach (string role in AvatarDriveBones.Roles)
            {
                var id = (HumanBodyBones)Enum.Parse(typeof(HumanBodyBones), role);
                Transform bone = animator.GetBoneTransform(id);
                if (bone == null)
                {
                    MissingBones.Add(role);
                    continue;
                }
                Quaternion parent = bone.parent != null ? bone.parent.rotation : animator.transform.rotation;
                bones[role] = new BoundBone { Transform = bone, Rest = bone.localRotation, ParentInRoot = toRoot * parent };
            }
        }

        void LateUpdate()
        {
            if (decoder == null || decoder.PoseFrames == posesSeen || bones.Count == 0) return;
            posesSeen = decoder.PoseFrames;
            foreach (var pair in bones)
            {
                float[] q;
                if (!decoder.Poses.TryGetValue(pair.Key, out q)) continue;
                BoundBone bone = pair.Value;
                var rotation = new Quaternion(q[0], q[1], q[2], q[3]);
                bone.Transform.localRotation = Quaternion.Inverse(bone.ParentInRoot) * rotation * bone.ParentInRoot * bone.Rest;
            }
            PosesApplied++;
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
