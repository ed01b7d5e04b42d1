using System.Collections;

namespace Llambda.Gguf;

/// <summary>
/// The key/value metadata of a GGUF file, in file order, with typed accessors.
/// Numeric getters accept any integer storage that fits (files disagree on whether a context length is a u32 or a u64).
/// A missing key or a value of the wrong kind throws <see cref="KeyNotFoundException"/> or <see cref="InvalidDataException"/>
/// naming the key; the overloads with a default return it when the key is absent.
/// </summary>
public sealed class GgufMetadata : IReadOnlyCollection<KeyValuePair<string, GgufValue>>
{
    private readonly List<KeyValuePair<string, GgufValue>> _ordered = [];
    private readonly Dictionary<string, GgufValue> _byKey = new(StringComparer.Ordinal);

    public int Count => _ordered.Count;

    public IEnumerable<string> Keys => _ordered.Select(kv => kv.Key);

    public GgufValue this[string key] => _byKey.TryGetValue(key, out var v) ? v : throw Missing(key);

    public bool Contains(string key) => _byKey.ContainsKey(key);

    public bool TryGetValue(string key, out GgufValue value) => _byKey.TryGetValue(key, out value!);

    /// <summary>Adds or replaces a value (replacing keeps the key's position).</summary>
    public void Set(string key, GgufValue value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (_byKey.ContainsKey(key))
        {
            int i = _ordered.FindIndex(kv => kv.Key == key);
            _ordered[i] = new(key, value);
        }
        else
        {
            _ordered.Add(new(key, value));
        }
        _byKey[key] = value;
    }

    public bool Remove(string key)
    {
        if (!_byKey.Remove(key)) return false;
        _ordered.RemoveAt(_ordered.FindIndex(kv => kv.Key == key));
        return true;
    }

    /// <summary>Adds a key read from a file; false when the key is already present.</summary>
    internal bool TryAdd(string key, GgufValue value)
    {
        if (!_byKey.TryAdd(key, value)) return false;
        _ordered.Add(new(key, value));
        return true;
    }

    public string GetString(string key) => Get(key).Value as string ?? throw WrongType(key, "a string");

    public string? GetStringOrDefault(string key, string? defaultValue = null) =>
        _byKey.TryGetValue(key, out var v) ? v.Value as string ?? throw WrongType(key, "a string") : defaultValue;

    public bool GetBool(string key) => Get(key).Value is bool b ? b : throw WrongType(key, "a bool");

    public bool GetBool(string key, bool defaultValue) => Contains(key) ? GetBool(key) : defaultValue;

    public long GetInt64(string key) => Get(key).TryGetInt64(out long v) ? v : throw WrongType(key, "an integer");

    public long GetInt64(string key, long defaultValue) => Contains(key) ? GetInt64(key) : defaultValue;

    public ulong GetUInt64(string key) => Get(key).Value is ulong ul ? ul : (ulong)CheckedRange(key, GetInt64(key), 0, long.MaxValue);

    public uint GetUInt32(string key) => (uint)CheckedRange(key, GetInt64(key), 0, uint.MaxValue);

    public uint GetUInt32(string key, uint defaultValue) => Contains(key) ? GetUInt32(key) : defaultValue;

    public int GetInt32(string key) => (int)CheckedRange(key, GetInt64(key), int.MinValue, int.MaxValue);

    public int GetInt32(string key, int defaultValue) => Contains(key) ? GetInt32(key) : defaultValue;

    public float GetFloat32(string key) => Get(key).TryGetDouble(out double d) ? (float)d : throw WrongType(key, "a number");

    public float GetFloat32(string key, float defaultValue) => Contains(key) ? GetFloat32(key) : defaultValue;

    public string[] GetStringArray(string key) => Get(key).Value as string[] ?? throw WrongType(key, "an array of strings");

    public float[] GetFloat32Array(string key) => Get(key).Value switch
    {
        float[] f => f,
        double[] d => Array.ConvertAll(d, x => (float)x),
        _ => throw WrongType(key, "an array of floats"),
    };

    /// <summary>An array of any integer type as <c>int[]</c> (values outside the int range are refused).</summary>
    public int[] GetInt32Array(string key)
    {
        GgufValue v = Get(key);
        if (v.Value is int[] ints) return ints;
        if (!v.IsArray || !GgufValue.IsInteger(v.ElementType)) throw WrongType(key, "an array of integers");
        var source = (Array)v.Value;
        var result = new int[source.Length];
        for (int i = 0; i < result.Length; i++)
        {
            long x = Convert.ToInt64(source.GetValue(i));
            result[i] = x is >= int.MinValue and <= int.MaxValue ? (int)x : throw WrongType(key, "an array of 32-bit integers");
        }
        return result;
    }

    public IEnumerator<KeyValuePair<string, GgufValue>> GetEnumerator() => _ordered.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private GgufValue Get(string key) => _byKey.TryGetValue(key, out var v) ? v : throw Missing(key);

    private static KeyNotFoundException Missing(string key) => new($"The model has no metadata key '{key}'.");

    private InvalidDataException WrongType(string key, string expected) =>
        new($"Metadata key '{key}' holds {Describe(_byKey[key])}, expected {expected}.");

    private static string Describe(GgufValue v) => v.IsArray ? $"an array of {v.ElementType}" : $"a {v.Type}";

    private long CheckedRange(string key, long value, long min, long max) =>
        value >= min && value <= max ? value : throw new InvalidDataException($"Metadata key '{key}' = {value} is out of range [{min}, {max}].");
}
