using Llambda.Testing;

namespace Llambda.Provisioning.Tests;

/// <summary>Names and paths never touch the network: they go through <see cref="ModelLocator"/>.</summary>
public class LocalModelTests
{
    [Fact]
    public async Task PathsAndNamesResolveLocally()
    {
        string model = SharedData.Model("stories260K.gguf");
        Assert.Equal(model, await ModelProvider.EnsureLocalAsync(model));
        var byName = await ModelProvider.PullAsync("stories260K");
        Assert.True(byName.FromCache);
        Assert.Equal("stories260K.gguf", Path.GetFileName(byName.Path));
    }

    [Fact]
    public async Task PinnedLocalFilesAreVerified()
    {
        string model = SharedData.Model("stories260K.gguf");
        string sha = Payload.Sha256(await File.ReadAllBytesAsync(model));
        Assert.Equal(model, await ModelProvider.EnsureLocalAsync($"{model}#sha256={sha}"));
        var e = await Assert.ThrowsAsync<ModelDigestMismatchException>(() => ModelProvider.EnsureLocalAsync($"{model}#sha256={new string('a', 64)}"));
        Assert.Contains(sha, e.Message);
    }

    [Fact]
    public async Task UnknownNamesSayWhereTheyLooked()
    {
        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => ModelProvider.EnsureLocalAsync("no-such-model-anywhere"));
        Assert.Contains("Looked for it in:", e.Message);
    }
}
