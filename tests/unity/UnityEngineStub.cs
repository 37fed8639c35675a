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
