using Onnx;

namespace CnnClassify.Export;

/// <summary>
/// Folds each BatchNormalization that follows a convolution into it, so that the quantized weights
/// are the ones the model computes with: W' = W · γ / √(σ² + ε) per output channel and
/// b' = (b − μ) · γ / √(σ² + ε) + β. A BatchNorm after anything else stays as it is.
/// </summary>
internal static class BatchNormFolding
{
    /// <summary>Folds what can be folded in <paramref name="graph"/>, in place, and returns how many were folded.</summary>
    public static int Fold(GraphProto graph)
    {
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var uses = graph.Node.SelectMany(n => n.Input).Concat(graph.Output.Select(o => o.Name))
            .GroupBy(name => name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var producers = graph.Node.ToDictionary(n => n.Output[0], StringComparer.Ordinal);
        var folded = 0;
        foreach (var norm in graph.Node.Where(n => n.OpType == "BatchNormalization").ToList())
        {
            if (!producers.TryGetValue(norm.Input[0], out var conv) || conv.OpType != "Conv" || uses[norm.Input[0]] != 1
                || !norm.Input.Skip(1).All(initializers.ContainsKey) || !initializers.ContainsKey(conv.Input[1]))
            {
                continue;
            }

            var epsilon = norm.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5f;
            var (gamma, beta, mean, variance) = (Values(norm, 1), Values(norm, 2), Values(norm, 3), Values(norm, 4));
            var weight = initializers[conv.Input[1]];
            var kernel = OnnxInitializers.Floats(weight);
            var channels = gamma.Length;
            var perChannel = kernel.Length / channels;
            var bias = conv.Input.Count > 2 ? OnnxInitializers.Floats(initializers[conv.Input[2]]) : new float[channels];
            var newKernel = new float[kernel.Length];
            var newBias = new float[channels];
            for (var c = 0; c < channels; c++)
            {
                var factor = gamma[c] / Math.Sqrt(variance[c] + epsilon);
                for (var k = 0; k < perChannel; k++)
                {
                    newKernel[(c * perChannel) + k] = (float)(kernel[(c * perChannel) + k] * factor);
                }

                newBias[c] = (float)(((bias[c] - mean[c]) * factor) + beta[c]);
            }

            // The folded weights get names of their own, so that a weight another node shares keeps its values.
            var weightName = Unique(initializers, $"{conv.Input[1]}.folded");
            var biasName = Unique(initializers, $"{conv.Input[1]}.folded_bias");
            Add(graph, initializers, OnnxInitializers.Float(weightName, newKernel, weight.Dims));
            Add(graph, initializers, OnnxInitializers.Float(biasName, newBias, [channels]));
            conv.Input[1] = weightName;
            if (conv.Input.Count > 2)
            {
                conv.Input[2] = biasName;
            }
            else
            {
                conv.Input.Add(biasName);
            }

            conv.Output[0] = norm.Output[0];
            graph.Node.Remove(norm);
            folded++;
        }

        RemoveUnused(graph);
        return folded;

        float[] Values(NodeProto node, int input) => OnnxInitializers.Floats(initializers[node.Input[input]]);
    }

    /// <summary>Drops the initializers that no node reads any more.</summary>
    internal static void RemoveUnused(GraphProto graph)
    {
        var read = graph.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        foreach (var unused in graph.Initializer.Where(t => !read.Contains(t.Name)).ToList())
        {
            graph.Initializer.Remove(unused);
        }
    }

    private static string Unique(Dictionary<string, TensorProto> initializers, string hint)
    {
        var name = hint;
        for (var i = 1; initializers.ContainsKey(name); i++)
        {
            name = $"{hint}_{i}";
        }

        return name;
    }

    private static void Add(GraphProto graph, Dictionary<string, TensorProto> initializers, TensorProto tensor)
    {
        initializers[tensor.Name] = tensor;
        graph.Initializer.Add(tensor);
    }
}
