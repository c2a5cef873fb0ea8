
namespace CnnClassify.Serialization;

/// <summary>
/// Checks a pickle before anything unpickles it. A pickle is a program: its <c>GLOBAL</c> and
/// <c>STACK_GLOBAL</c> instructions name any Python callable (<c>os.system</c> included), which a
/// loader would then call. A state dict needs only ordered dicts, tensors and their storages, so
/// every other global, the extension registry, and any opcode that cannot be read, is refused.
/// </summary>
internal static class PickleGuard
{
    private static readonly HashSet<string> AllowedGlobals = new(StringComparer.Ordinal)
    {
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_tensor_v3",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
        "torch.Size",
        "torch.FloatStorage", "torch.DoubleStorage", "torch.HalfStorage", "torch.BFloat16Storage",
        "torch.LongStorage", "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage",
        "torch.ByteStorage", "torch.BoolStorage",
    };

    /// <summary>Most bytes a state dict's pickle may hold before it is inflated (ResNet-152's holds about 60 KB).</summary>
    public const long MaxPickleBytes = 64L << 20;

    /// <summary>Throws unless every global <paramref name="pickle"/> names is one a state dict needs.</summary>
    /// <param name="pickle">The pickle's bytes.</param>
    /// <param name="source">The file and entry, for messages.</param>
    /// <exception cref="InvalidDataException">The pickle names another global, uses the extension registry, passes a limit of <see cref="PickleMachine"/>, or cannot be read.</exception>
    public static void Check(ReadOnlySpan<byte> pickle, string source) =>
        PickleMachine.Run(pickle, source, (module, name) => Require($"{module}.{name}", source));

    private static void Require(string global, string source)
    {
        if (!AllowedGlobals.Contains(global))
        {
            throw PickleMachine.Refused(source, $"it names the global {Printable(global)}, which a state dict never needs (loading it could run code); only tensors, their storages and ordered dicts are allowed");
        }
    }

    // A name from the file, with control characters escaped so that it cannot act on a terminal.
    private static string Printable(string text) => Inference.TerminalText.Escape(text);
}
