namespace Llambda.Models;

/// <summary>
/// A model file that is a valid GGUF but cannot be run: an architecture we do not implement, a missing tensor,
/// a tensor whose shape or type does not match the metadata.
/// </summary>
public sealed class ModelLoadException(string message) : Exception(message);
