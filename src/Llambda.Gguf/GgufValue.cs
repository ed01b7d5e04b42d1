using System.Globalization;

namespace Llambda.Gguf;

/// <summary>Metadata value types as numbered by the GGUF specification.</summary>
public enum GgufValueType : uint
{
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
}

/// <summary>
/// One metadata value. Scalars are boxed .NET primitives; arrays are typed .NET arrays
/// (<c>string[]</c>, <c>float[]</c>, <c>int[]</c>..., or <c>GgufValue[]</c> for arrays of arrays),
/// so a 150,000-entry vocabulary costs one array, not 150,000 boxes.
/// </summary>
public sealed class GgufValue : IEquatable<GgufValue>
{
    private GgufValue(GgufValueType type, GgufValueType elementType, object value)
    {
        Type = type;
        ElementType = elementType;
        Value = value;
    }

    public GgufValueType Type { get; }

    /// <summary>For arrays, the type of the elements; otherwise equal to <see cref="Type"/>.</summary>
    public GgufValueType ElementType { get; }

    /// <summary>The boxed scalar or the typed array.</summary>
    public object Value { get; }

    public bool IsArray => Type == GgufValueType.Array;

    /// <summary>Number of elements of an array value (0 for scalars).</summary>
    public int ArrayLength => IsArray ? ((Array)Value).Length : 0;

    public static GgufValue FromUInt8(byte v) => new(GgufValueType.UInt8, GgufValueType.UInt8, v);
    public static GgufValue FromInt8(sbyte v) => new(GgufValueType.Int8, GgufValueType.Int8, v);
    public static GgufValue FromUInt16(ushort v) => new(GgufValueType.UInt16, GgufValueType.UInt16, v);
    public static GgufValue FromInt16(short v) => new(GgufValueType.Int16, GgufValueType.Int16, v);
    public static GgufValue FromUInt32(uint v) => new(GgufValueType.UInt32, GgufValueType.UInt32, v);
    public static GgufValue FromInt32(int v) => new(GgufValueType.Int32, GgufValueType.Int32, v);
    public static GgufValue FromFloat32(float v) => new(GgufValueType.Float32, GgufValueType.Float32, v);
    public static GgufValue FromBool(bool v) => new(GgufValueType.Bool, GgufValueType.Bool, v);
    public static GgufValue FromString(string v) => new(GgufValueType.String, GgufValueType.String, v ?? throw new ArgumentNullException(nameof(v)));
    public static GgufValue FromUInt64(ulong v) => new(GgufValueType.UInt64, GgufValueType.UInt64, v);
    public static GgufValue FromInt64(long v) => new(GgufValueType.Int64, GgufValueType.Int64, v);
    public static GgufValue FromFloat64(double v) => new(GgufValueType.Float64, GgufValueType.Float64, v);

    /// <summary>An array value. <paramref name="elements"/> must be the .NET array type for <paramref name="elementType"/>.</summary>
    public static GgufValue FromArray(GgufValueType elementType, Array elements)
    {
        ArgumentNullException.ThrowIfNull(elements);
        Type expected = ClrArrayType(elementType);
        if (elements.GetType() != expected)
            throw new ArgumentException($"A GGUF array of {elementType} must be a {expected.Name}, not a {elements.GetType().Name}.", nameof(elements));
        return new GgufValue(GgufValueType.Array, elementType, elements);
    }

    public static GgufValue FromStrings(string[] v) => FromArray(GgufValueType.String, v);
    public static GgufValue FromFloat32s(float[] v) => FromArray(GgufValueType.Float32, v);
    public static GgufValue FromInt32s(int[] v) => FromArray(GgufValueType.Int32, v);

    /// <summary>The .NET array type that holds elements of a GGUF type.</summary>
    public static Type ClrArrayType(GgufValueType elementType) => elementType switch
    {
        GgufValueType.UInt8 => typeof(byte[]),
        GgufValueType.Int8 => typeof(sbyte[]),
        GgufValueType.UInt16 => typeof(ushort[]),
        GgufValueType.Int16 => typeof(short[]),
        GgufValueType.UInt32 => typeof(uint[]),
        GgufValueType.Int32 => typeof(int[]),
        GgufValueType.Float32 => typeof(float[]),
        GgufValueType.Bool => typeof(bool[]),
        GgufValueType.String => typeof(string[]),
        GgufValueType.Array => typeof(GgufValue[]),
        GgufValueType.UInt64 => typeof(ulong[]),
        GgufValueType.Int64 => typeof(long[]),
        GgufValueType.Float64 => typeof(double[]),
        _ => throw new ArgumentOutOfRangeException(nameof(elementType), elementType, "Not a GGUF value type."),
    };

    /// <summary>True for the integer types (signed or unsigned, any width).</summary>
    public static bool IsInteger(GgufValueType t) => t is GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.UInt16
        or GgufValueType.Int16 or GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.UInt64 or GgufValueType.Int64;

    /// <summary>An integer scalar widened to <see cref="long"/>; false for non-integers and UInt64 values above long.MaxValue.</summary>
    public bool TryGetInt64(out long value)
    {
        switch (Value)
        {
            case byte b: value = b; return true;
            case sbyte sb: value = sb; return true;
            case ushort us: value = us; return true;
            case short s: value = s; return true;
            case uint ui: value = ui; return true;
            case int i: value = i; return true;
            case long l: value = l; return true;
            case ulong ul when ul <= long.MaxValue: value = (long)ul; return true;
            default: value = 0; return false;
        }
    }

    /// <summary>A numeric scalar (integer or float) as <see cref="double"/>.</summary>
    public bool TryGetDouble(out double value)
    {
        switch (Value)
        {
            case float f: value = f; return true;
            case double d: value = d; return true;
            case ulong ul: value = ul; return true;
            default:
                bool ok = TryGetInt64(out long l);
                value = l;
                return ok;
        }
    }

    public bool Equals(GgufValue? other)
    {
        if (other is null || other.Type != Type || other.ElementType != ElementType) return false;
        if (!IsArray) return Value.Equals(other.Value);
        var a = (Array)Value;
        var b = (Array)other.Value;
        if (a.Length != b.Length) return false;
        for (int i = 0; i < a.Length; i++)
        {
            if (!Equals(a.GetValue(i), b.GetValue(i))) return false;
        }
        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as GgufValue);

    public override int GetHashCode() => HashCode.Combine(Type, ElementType, IsArray ? ((Array)Value).Length : Value.GetHashCode());

    public override string ToString() => IsArray
        ? $"[{ElementType} x {ArrayLength}]"
        : Convert.ToString(Value, CultureInfo.InvariantCulture) ?? "";
}
