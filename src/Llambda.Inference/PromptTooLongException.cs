namespace Llambda.Inference;

/// <summary>A prompt that does not fit the context window, with the numbers a user needs to fix it.</summary>
public sealed class PromptTooLongException(int promptTokens, int contextLength)
    : Exception($"The prompt is {promptTokens} tokens but the context holds {contextLength}; shorten it or raise the context length.")
{
    public int PromptTokens { get; } = promptTokens;
    public int ContextLength { get; } = contextLength;
}
