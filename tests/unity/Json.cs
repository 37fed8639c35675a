// Json.cs — minimal JSON writing for the console test drivers (ASCII output, \u escapes).

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

static class Json
{
    public static string Str(string text)
    {
        var b = new StringBuilder("\"");
        foreach (char c in text)
        {
            if (c == '"' || c == '\\') b.Append('\\').Append(c);
            else if (c < 0x20 || c > 0x7e) b.Append("\\u").Append(((int)c).ToString("x4"));
            else b.Append(c);
        }
        return b.Append('"').ToString();
    }

    public static string Num(double value)
    {
        if (double.IsNaN(value)) return "NaN"; // Python's json reads these
        if (double.IsPositiveInfinity(value)) return "Infinity";
        if (double.IsNegativeInfinity(value)) return "-Infinity";
        return value.ToString("R", CultureInfo.InvariantCulture);
    }

    public static string Value(object value)
    {
        if (value == null) return "null";
        if (value is bool) return (bool)value ? "true" : "false";
        if (value is string) return Str((string)value);
        if (value is char) return Str(value.ToString());
        if (value is float) return Num((float)value);
        if (value is double) return Num((double)value);
        if (value is int || value is long || value is uint || value is ulong)
            return Convert.ToString(value, CultureInfo.InvariantCulture);
        if (value is byte[])
        {
            var parts = new List<string>();
            foreach (byte x in (byte[])value) parts.Add(x.ToString(CultureInfo.InvariantCulture));
            return "[" + string.Join(",", parts) + "]";
        }
        if (value is int[])
        {
            var parts = new List<string>();
            foreach (int x in (int[])value) parts.Add(x.ToString(CultureInfo.InvariantCulture));
            return "[" + string.Join(",", parts) + "]";
        }
        throw new ArgumentException("no JSON form for " + value.GetType());
    }

    public static string Object(IEnumerable<KeyValuePair<string, string>> members)
    {
        var parts = new List<string>();
        foreach (var pair in members) parts.Add(Str(pair.Key) + ":" + pair.Value);
        return "{" + string.Join(",", parts) + "}";
    }

    public static KeyValuePair<string, string> Member(string key, string json)
    {
        return new KeyValuePair<string, string>(key, json);
    }

    public static string Frame(Dictionary<string, float> frame)
    {
        var members = new List<KeyValuePair<string, string>>();
        foreach (var pair in frame) members.Add(Member(pair.Key, Num(pair.Value)));
        return Object(members);
    }
}
