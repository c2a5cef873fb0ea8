using Onnx;

namespace CnnClassify.Export;

/// <summary>
/// Writes a <see cref="QdqPlan"/> into the graph: a QuantizeLinear and DequantizeLinear pair after
/// each planned tensor (uint8, asymmetric, per tensor, from its calibrated range), int8 weights
/// with a DequantizeLinear per output channel, and int32 biases at the input's scale times the
/// weight's, as ONNX Runtime's integer convolutions expect.
/// </summary>
internal static class QdqRewriter
{
    /// <summary>Rewrites <paramref name="graph"/> in place.</summary>
    public static void Rewrite(GraphProto graph, QdqPlan plan, IReadOnlyDictionary<string, (float Min, float Max)> ranges, bool reduceRange)
    {
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var parameters = new Dictionary<string, (string Scale, string ZeroPoint, float ScaleValue)>(StringComparer.Ordinal);
        (string Scale, string ZeroPoint, float ScaleValue) Parameters(string tensor)
        {
            var source = plan.Tensors[tensor];
            if (!parameters.TryGetValue(source, out var found))
            {
                var (scale, zeroPoint) = Affine(ranges[source]);
                found = ($"{source}.scale", $"{source}.zero_point", scale);
                graph.Initializer.Add(OnnxInitializers.Float(found.Scale, [scale], []));
                graph.Initializer.Add(OnnxInitializers.UInt8(found.ZeroPoint, [zeroPoint], []));
                parameters[source] = found;
            }

            return found;
        }

        // Weights and biases first, while each node still names its float input.
        var weightNodes = new List<NodeProto>();
        foreach (var node in plan.Nodes.Where(n => n.OpType is "Conv" or "Gemm"))
        {
            var input = Parameters(node.Input[0]);
            var weight = initializers[node.Input[1]];
            var (values, scales) = PerChannel(OnnxInitializers.Floats(weight), (int)weight.Dims[0], reduceRange ? 63 : 127);
            var name = node.Input[1];
            var quantized = $"{name}.quantized.{node.Name}";
            graph.Initializer.Add(OnnxInitializers.Int8(quantized, values, weight.Dims));
            graph.Initializer.Add(OnnxInitializers.Float($"{quantized}.scale", scales, [scales.Length]));
            graph.Initializer.Add(OnnxInitializers.Int8($"{quantized}.zero_point", new sbyte[scales.Length], [scales.Length]));
            node.Input[1] = Dequantize(weightNodes, quantized, $"{quantized}.scale", $"{quantized}.zero_point", axis: 0);
            if (node.Input.Count > 2 && initializers.TryGetValue(node.Input[2], out var bias))
            {
                var biasScales = scales.Select(s => s * input.ScaleValue).ToArray();
                var biasName = $"{node.Input[2]}.quantized.{node.Name}";
                var biasValues = OnnxInitializers.Floats(bias).Select((b, c) => (int)Math.Clamp(Math.Round(b / biasScales[c]), int.MinValue + 1, int.MaxValue)).ToArray();
                graph.Initializer.Add(OnnxInitializers.Int32(biasName, biasValues, bias.Dims));
                graph.Initializer.Add(OnnxInitializers.Float($"{biasName}.scale", biasScales, [biasScales.Length]));
                graph.Initializer.Add(OnnxInitializers.Int32($"{biasName}.zero_point", new int[biasScales.Length], [biasScales.Length]));
                node.Input[2] = Dequantize(weightNodes, biasName, $"{biasName}.scale", $"{biasName}.zero_point", axis: 0);
            }
        }

        // Then a pair after each planned tensor's producer (or at the start for a graph input), and
        // every reader of the tensor reads the dequantized value instead.
        var rewritten = new List<NodeProto>(weightNodes);
        var pairs = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        var renamed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tensor in plan.Tensors.Keys)
        {
            var (scale, zeroPoint, _) = Parameters(tensor);
            var pair = new List<NodeProto>();
            var quantized = Node(pair, "QuantizeLinear", [tensor, scale, zeroPoint], $"{tensor}.quantized");
            renamed[tensor] = Node(pair, "DequantizeLinear", [quantized, scale, zeroPoint], $"{tensor}.dequantized");
            pairs[tensor] = pair;
        }

        foreach (var input in graph.Input.Where(i => pairs.ContainsKey(i.Name)))
        {
            rewritten.AddRange(pairs[input.Name]);
        }

        foreach (var node in graph.Node)
        {
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (renamed.TryGetValue(node.Input[i], out var dequantized))
                {
                    node.Input[i] = dequantized;
                }
            }

            rewritten.Add(node);
            if (pairs.TryGetValue(node.Output[0], out var pair))
            {
                rewritten.AddRange(pair);
            }
        }

        graph.Node.Clear();
        graph.Node.AddRange(rewritten);
        BatchNormFolding.RemoveUnused(graph);
    }

    /// <summary>
    /// Widens the range of each quantized global average pool's output where it is so much narrower
    /// than its input's that ONNX Runtime's integer kernel refuses the pair: it needs the input scale
    /// over (output scale times height times width) below 256, and a map that is nearly constant
    /// after pooling (small seeded models, 1x1 maps) gives a far smaller output scale. The output's
    /// scale is raised to the input's over 128 times the area, about its midpoint.
    /// </summary>
    public static void WidenPooledRanges(GraphProto graph, QdqPlan plan, Dictionary<string, (float Min, float Max)> ranges, IReadOnlyDictionary<string, long> areas)
    {
        foreach (var node in graph.Node.Where(n => n.OpType == "GlobalAveragePool"))
        {
            if (!plan.Tensors.TryGetValue(node.Input[0], out var input) || !plan.Tensors.TryGetValue(node.Output[0], out var output)
                || !areas.TryGetValue(node.Input[0], out var area) || !ranges.TryGetValue(input, out var inputRange) || !ranges.TryGetValue(output, out var outputRange))
            {
                continue;
            }

            var least = Affine(inputRange).Scale / (128f * area);
            if (Affine(outputRange).Scale >= least)
            {
                continue;
            }

            var (low, high) = (Math.Min(outputRange.Min, 0f), Math.Max(outputRange.Max, 0f));
            var middle = (low + high) / 2;
            var half = least * 255f / 2;
            ranges[output] = (Math.Min(low, middle - half), Math.Max(high, middle + half));
        }
    }

    /// <summary>
    /// The uint8 scale and zero point of a range, widened to hold 0 (so that zero padding and Relu's
    /// zeros are exact): scale = (max − min) / 255, zero point = round(−min / scale).
    /// </summary>
    internal static (float Scale, byte ZeroPoint) Affine((float Min, float Max) range)
    {
        var low = Math.Min(range.Min, 0f);
        var high = Math.Max(range.Max, 0f);
        if (high - low < 1e-12f)
        {
            return (1f, 0);
        }

        var scale = (high - low) / 255f;
        return (scale, (byte)Math.Clamp(Math.Round(-low / scale), 0, 255));
    }

    /// <summary>Symmetric int8 per output channel (the first dimension): scale = max |w| / <paramref name="limit"/>, values in [−limit, limit].</summary>
    internal static (sbyte[] Values, float[] Scales) PerChannel(float[] weights, int channels, int limit)
    {
        var size = weights.Length / channels;
        var values = new sbyte[weights.Length];
        var scales = new float[channels];
        for (var c = 0; c < channels; c++)
        {
            var span = weights.AsSpan(c * size, size);
            var largest = 0f;
            foreach (var w in span)
            {
                largest = Math.Max(largest, Math.Abs(w));
            }

            scales[c] = largest > 0 ? largest / limit : 1f;
            for (var k = 0; k < size; k++)
            {
                values[(c * size) + k] = (sbyte)Math.Clamp(Math.Round(span[k] / scales[c]), -limit, limit);
            }
        }

        return (values, scales);
    }

    private static string Dequantize(List<NodeProto> nodes, string quantized, string scale, string zeroPoint, long axis)
    {
        var output = Node(nodes, "DequantizeLinear", [quantized, scale, zeroPoint], $"{quantized}.dequantized");
        nodes[^1].Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = axis });
        return output;
    }

    private static string Node(List<NodeProto> nodes, string opType, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = opType, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        nodes.Add(node);
        return output;
    }
}
