// UnityEngineStub.cs — the few UnityEngine types AvatarDriveReceiver.cs uses, with the same
// member names and signatures as Unity's, so that the receiver compiles with plain `mcs` and can
// be driven by ReceiverCheck.cs. Test scaffolding only: Unity's real classes are native-backed
// (and its Object overloads ==); nothing here says how Unity itself behaves.

using System;
using System.Collections.Generic;

namespace UnityEngine
{
    public class Object { }
    public class Component : Object { }
    public class Behaviour : Component { public bool enabled = true; }
    public class MonoBehaviour : Behaviour { }
    public class Renderer : Component { }

    public class Mesh : Object
    {
        readonly List<string> names = new List<string>();
        public Mesh(IEnumerable<string> blendShapeNames) { names.AddRange(blendShapeNames); }
        public int blendShapeCount { get { return names.Count; } }
        public string GetBlendShapeName(int shapeIndex) { return names[shapeIndex]; }
    }

    public class SkinnedMeshRenderer : Renderer
    {
        readonly Dictionary<int, float> weights = new Dictionary<int, float>();
        public Mesh sharedMesh { get; set; }
        public int SetCalls { get; private set; }
        public void SetBlendShapeWeight(int index, float value)
        {
            if (sharedMesh == null || index < 0 || index >= sharedMesh.blendShapeCount)
                throw new IndexOutOfRangeException("blendshape index " + index);
            weights[index] = value;
            SetCalls++;
        }
        public float GetBlendShapeWeight(int index)
        {
            float value;
            return weights.TryGetValue(index, out value) ? value : 0f;
        }
    }

    public struct Quaternion
    {
        public float x, y, z, w;
        public Quaternion(float x, float y, float z, float w) { this.x = x; this.y = y; this.z = z; this.w = w; }
        public static Quaternion identity { get { return new Quaternion(0f, 0f, 0f, 1f); } }
        public static Quaternion operator *(Quaternion a, Quaternion b)
        {
            return new Quaternion(a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,
                                  a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x,
                                  a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w,
                                  a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z);
        }
        public static Quaternion Inverse(Quaternion q) { return new Quaternion(-q.x, -q.y, -q.z, q.w); }
    }

    public class Transform : Component
    {
        public Transform parent;
        public Quaternion localRotation = Quaternion.identity;
        public Quaternion rotation { get { return parent != null ? parent.rotation * localRotation : localRotation; } }
    }

    public enum HumanBodyBones { Neck = 9, Head = 10, LeftEye = 21, RightEye = 22 }

    public class Animator : Behaviour
    {
        public readonly Dictionary<HumanBodyBones, Transform> Bones = new Dictionary<HumanBodyBones, Transform>();
        public Transform transform = new Transform();
        public Transform GetBoneTransform(HumanBodyBones humanBoneId)
        {
            Transform bone;
            return Bones.TryGetValue(humanBoneId, out bone) ? bone : null;
        }
    }

    public static class Debug
    {
        public static void Log(object message) { Console.Error.WriteLine(message); }
        public static void LogWarning(object message) { Console.Error.WriteLine(message); }
        public static void LogError(object message) { Console.Error.WriteLine(message); }
    }

    [AttributeUsage(AttributeTargets.Field)]
    public class HeaderAttribute : Attribute { public HeaderAttribute(string header) { } }

    [AttributeUsage(AttributeTargets.Field)]
    public class TooltipAttribute : Attribute { public TooltipAttribute(string tooltip) { } }
}
