namespace Llambda.Tensors.Tests;

public class OpsTests
{
    private static void Close(float[] a, float[] b, float tol)
    {
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) <= tol * (1 + Math.Abs(b[i])), $"[{i}] {a[i]} vs {b[i]}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(2051)]
    public void VectorisedOpsMatchScalar(int n)
    {
        var rng = new Random(n);
        float[] x = TestData.RandomFloats(rng, n, 5f), w = TestData.RandomFloats(rng, n), u = TestData.RandomFloats(rng, n);
        float[] a = new float[n], b = new float[n];

        Ops.RmsNorm(x, w, 1e-5f, a);
        Ops.RmsNormScalar(x, w, 1e-5f, b);
        Close(a, b, 1e-6f);
        // in place
        float[] xi = (float[])x.Clone();
        Ops.RmsNorm(xi, w, 1e-5f, xi);
        Close(xi, b, 1e-6f);

        x.CopyTo(a, 0); x.CopyTo(b, 0);
        Ops.Softmax(a);
        Ops.SoftmaxScalar(b);
        Close(a, b, 1e-5f);
        Assert.Equal(1.0, a.Sum(v => (double)v), 4);

        Ops.Silu(x, a);
        Ops.SiluScalar(x, b);
        Close(a, b, 1e-5f);

        Ops.SwiGlu(x, u, a);
        Ops.SwiGluScalar(x, u, b);
        Close(a, b, 1e-5f);
        float[] ui = (float[])u.Clone();
        Ops.SwiGlu(x, ui, ui); // output aliases up
        Close(ui, b, 1e-5f);
        float[] gi = (float[])x.Clone();
        Ops.SwiGlu(gi, u, gi); // output aliases gate
        Close(gi, b, 1e-5f);

        Assert.Equal(Ops.DotScalar(x, u), Ops.Dot(x, u), 1e-3 * n);
        Ops.Add(x, u, a);
        for (int i = 0; i < n; i++) Assert.Equal(x[i] + u[i], a[i]);
        Ops.Scale(x, 0.5f, a);
        for (int i = 0; i < n; i++) Assert.Equal(x[i] * 0.5f, a[i]);
    }

    [Fact]
    public void RmsNormMatchesDefinition()
    {
        float[] x = [1, 2, 3, 4];
        float[] y = new float[4];
        Ops.RmsNorm(x, ReadOnlySpan<float>.Empty, 0f, y);
        float s = 1f / MathF.Sqrt(30f / 4);
        Close(y, [1 * s, 2 * s, 3 * s, 4 * s], 1e-7f);
    }
}
