namespace Llambda.Planner;

/// <summary>
/// AWS Lambda on-demand prices, in one place so a price change is a one-line edit. Region us-east-1, first
/// pricing tier (the first 6 billion GB-seconds a month); the free tier is ignored.
/// </summary>
public sealed record LambdaPricing(DateOnly AsOf, decimal X86PerGbSecond, decimal Arm64PerGbSecond, decimal PerMillionRequests)
{
    /// <summary>Prices as published on aws.amazon.com/lambda/pricing, checked on the date below.</summary>
    public static LambdaPricing Current { get; } = new(
        AsOf: new DateOnly(2025, 6, 1),
        X86PerGbSecond: 0.0000166667m,
        Arm64PerGbSecond: 0.0000133334m,
        PerMillionRequests: 0.20m);

    public decimal PerGbSecond(LambdaArchitecture arch) => arch == LambdaArchitecture.Arm64 ? Arm64PerGbSecond : X86PerGbSecond;

    /// <summary>Cost of one invocation of <paramref name="seconds"/> at <paramref name="memoryMb"/> (billed per ms; 1 GB = 1024 MB).</summary>
    public decimal Invocation(LambdaArchitecture arch, int memoryMb, double seconds)
    {
        decimal billedSeconds = Math.Ceiling((decimal)seconds * 1000m) / 1000m;
        return memoryMb / 1024m * billedSeconds * PerGbSecond(arch) + PerMillionRequests / 1_000_000m;
    }
}

public enum LambdaArchitecture
{
    X86_64,
    Arm64,
}
