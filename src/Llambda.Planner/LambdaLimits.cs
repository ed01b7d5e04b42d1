namespace Llambda.Planner;

/// <summary>
/// The AWS Lambda limits that decide whether a model can run there (docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
/// </summary>
public static class LambdaLimits
{
    public const int MinMemoryMb = 128;
    public const int MaxMemoryMb = 10_240;

    /// <summary>New accounts get this memory ceiling until AWS raises their quota.</summary>
    public const int NewAccountMemoryMb = 3_008;

    /// <summary>Memory that buys one full vCPU; CPU share grows linearly with memory.</summary>
    public const int MbPerVcpu = 1_769;
    public const int MaxVcpus = 6;

    public const int DefaultTmpMb = 512;
    public const int MaxTmpMb = 10_240;

    /// <summary>Function code and layers, unzipped.</summary>
    public const long ZipPackageBytes = 250L * 1000 * 1000;

    /// <summary>Container image size limit.</summary>
    public const long ImageBytes = 10L * 1024 * 1024 * 1024;

    /// <summary>The init phase of an on-demand function must finish in 10 s or it is restarted on the first invoke.</summary>
    public static readonly TimeSpan InitTimeout = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(15);

    /// <summary>CPU share at a memory size, in vCPUs (fractional: 1,024 MB gets 0.58 of a vCPU).</summary>
    public static double VcpuShare(int memoryMb) => Math.Min(MaxVcpus, memoryMb / (double)MbPerVcpu);

    /// <summary>
    /// Cores the function sees (nproc): at least 2, then one more per 1,769 MB. Threads beyond the CPU share only
    /// time-slice, so the planner sizes the thread pool to this but computes speed from <see cref="VcpuShare"/>.
    /// </summary>
    public static int VisibleCores(int memoryMb) => Math.Clamp((int)Math.Ceiling(memoryMb / (double)MbPerVcpu), 2, MaxVcpus);

    /// <summary>The memory sizes where the visible core count changes, plus both ends: the rows of a plan table.</summary>
    public static IReadOnlyList<int> BreakpointSizes { get; } = [MinMemoryMb, 1_024, MbPerVcpu, NewAccountMemoryMb, 2 * MbPerVcpu, 3 * MbPerVcpu, 4 * MbPerVcpu, 5 * MbPerVcpu, MaxMemoryMb];
}
