using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace CnnClassify.Serialization;

/// <summary>
/// Loads a published torchvision weight file into its zoo twin, with the two adjustments
/// torchvision itself makes: DenseNet files keep the old key names (<c>norm.1</c> for
/// <c>norm1</c>), and GoogLeNet and Inception v3 files hold auxiliary heads that a model without
/// them leaves out.
/// </summary>
internal static partial class PublishedWeights
{
    public static void Load(nn.Module model, string path)
    {
        var tensors = StateDictFile.Read(path);
        try
        {
            var expected = model.state_dict().Keys.ToHashSet(StringComparer.Ordinal);
            var renamed = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (key, tensor) in tensors)
            {
                var name = OldDenseNetKey().Replace(key, "$1$2.");
                if (!expected.Contains(name) && (name.StartsWith("aux1.", StringComparison.Ordinal) || name.StartsWith("aux2.", StringComparison.Ordinal) || name.StartsWith("AuxLogits.", StringComparison.Ordinal)))
                {
                    continue;
                }

                renamed[name] = tensor;
            }

            model.LoadStateDict(renamed, strict: true, sourceName: path);
        }
        finally
        {
            foreach (var tensor in tensors.Values)
            {
                tensor.Dispose();
            }
        }
    }

    [GeneratedRegex(@"(denselayer\d+\.(?:norm|relu|conv))\.((?:1|2))\.")]
    private static partial Regex OldDenseNetKey();
}
