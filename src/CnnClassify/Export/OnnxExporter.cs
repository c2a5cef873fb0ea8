using System.Reflection;
using System.Text.Json;
using CnnClassify.Layers;
using CnnClassify.Models;
using CnnClassify.Serialization;
using Google.Protobuf;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Export;

/// <summary>
/// Writes a model as an ONNX file: the evaluation-mode graph layer by layer, as each layer
/// describes itself (<see cref="IOnnxExportable"/>), with a dynamic batch dimension, the weights
/// as initializers and the model's configuration in the metadata.
/// </summary>
internal static class OnnxExporter
{
    /// <summary>The ONNX operator set the files use.</summary>
    public const int Opset = 17;

    /// <summary>Metadata key of the model's configuration as JSON (<see cref="ModelConfiguration.ToJson"/>).</summary>
    public const string ConfigurationKey = "cnnclassify.model_configuration";

    /// <summary>Metadata key saying what the input holds: <c>float32_normalized</c> or <c>uint8_pixels</c>.</summary>
    public const string InputKey = "cnnclassify.input";

    /// <summary>Metadata key of the class names as a JSON array.</summary>
    public const string ClassNamesKey = "class_names";

    public static void Export(ClassificationModel model, string path, OnnxExportOptions options)
    {
        var configuration = model.Configuration;
        if (configuration.InputHeight < 1 || configuration.InputWidth < 1)
        {
            throw new InvalidOperationException(
                $"ONNX export needs the model's input size; {model.GetType().Name}'s configuration says {configuration.InChannels}x{configuration.InputHeight}x{configuration.InputWidth}.");
        }

        if (model is not IOnnxExportable root)
        {
            throw new NotSupportedException($"ONNX export does not know model type {model.GetType().FullName}; implement CnnClassify.Layers.IOnnxExportable on it to write its forward pass.");
        }

        // Evaluation mode for the export, then every module's own flag back.
        var modes = new[] { (nn.Module)model }.Concat(model.modules()).Distinct().Select(m => (Module: m, m.training)).ToList();
        model.eval();
        try
        {
            using var scope = torch.NewDisposeScope();
            var (proto, input) = Build(model, root, configuration, options);
            if (options.Quantization is { } quantization)
            {
                Quantize(proto, input, quantization);
            }

            var weightBytes = proto.Graph.Initializer.Sum(tensor => (long)tensor.RawData.Length);
            if (options.ExternalData ?? weightBytes > ExternalDataThreshold)
            {
                MoveWeightsOut(proto, path);
            }
            else if (weightBytes > ExternalDataThreshold)
            {
                throw new NotSupportedException($"{configuration.Architecture ?? model.GetType().Name}'s {weightBytes / 1e9:F2} GB of weights do not fit in one ONNX file (at most 2 GiB); export with ExternalData = true (or left unset) to write them beside it.");
            }

            AtomicFile.Write(path, stream => proto.WriteTo(stream));
        }
        finally
        {
            foreach (var (module, training) in modes)
            {
                module.train(training);
            }
        }
    }

    /// <summary>Weights beyond this many bytes go to an external-data file unless told otherwise: 1.5 GiB, under protobuf's 2 GiB.</summary>
    internal const long ExternalDataThreshold = 3L << 29;

    /// <summary>The external-data file beside <paramref name="path"/>.</summary>
    internal static string ExternalDataPath(string path) => path + ".data";

    // Every initializer of 1 KiB or more goes to PATH.data, one after another, each aligned to
    // 4 KiB so that a runtime may map it; the model keeps its name, offset and length.
    private static void MoveWeightsOut(ModelProto proto, string path)
    {
        const long Alignment = 4096;
        var dataPath = ExternalDataPath(path);
        var location = Path.GetFileName(dataPath);
        AtomicFile.Write(dataPath, stream =>
        {
            foreach (var tensor in proto.Graph.Initializer.Where(tensor => tensor.RawData.Length >= 1024))
            {
                var padding = (Alignment - (stream.Position % Alignment)) % Alignment;
                stream.Write(new byte[padding]);
                var offset = stream.Position;
                tensor.RawData.WriteTo(stream);
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = tensor.RawData.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                tensor.DataLocation = TensorProto.Types.DataLocation.External;
                tensor.RawData = ByteString.Empty;
            }
        });
    }

    /// <summary>Metadata key of the quantization, as JSON; absent from a float32 file.</summary>
    public const string QuantizationKey = "cnnclassify.quantization";

    // Folds BatchNorm, plans where the pairs go, calibrates the float graph from the model's
    // prepared input (after the preprocessing nodes of a pixel-input file), and rewrites it.
    private static void Quantize(ModelProto proto, string input, Int8Quantization quantization)
    {
        ArgumentNullException.ThrowIfNull(quantization.Calibration);
        if (quantization.Images is < 1 or > 1_000_000)
        {
            throw new ArgumentException($"Int8 quantization: Images must be between 1 and 1,000,000; it is {quantization.Images}.", nameof(quantization));
        }

        if (quantization.Percentile is <= 50 or > 100 || double.IsNaN(quantization.Percentile))
        {
            throw new ArgumentException($"Int8 quantization: Percentile must be in (50, 100]; it is {quantization.Percentile}.", nameof(quantization));
        }

        var folded = BatchNormFolding.Fold(proto.Graph);
        var plan = QdqPlan.For(proto.Graph, quantization.KeepFloat);
        var (ranges, images, areas) = ActivationCalibration.Ranges(proto.Graph, input, plan.Calibrated, quantization);
        QdqRewriter.WidenPooledRanges(proto.Graph, plan, ranges, areas);
        QdqRewriter.Rewrite(proto.Graph, plan, ranges, quantization.ReduceRange);
        var description = new System.Text.Json.Nodes.JsonObject
        {
            ["format"] = "QDQ",
            ["weights"] = quantization.ReduceRange ? "int8 in [-63, 63], symmetric, per output channel" : "int8 in [-127, 127], symmetric, per output channel",
            ["activations"] = "uint8, asymmetric, per tensor",
            ["calibration"] = quantization.Method switch
            {
                CalibrationMethod.MinMax => "minmax",
                CalibrationMethod.Percentile => "percentile",
                _ => "entropy",
            },
            ["calibration_images"] = images,
            ["quantized_nodes"] = plan.Nodes.Count,
            ["folded_batch_norms"] = folded,
            ["kept_float"] = new System.Text.Json.Nodes.JsonArray([.. quantization.KeepFloat.Select(path => (System.Text.Json.Nodes.JsonNode?)path)]),
        };
        if (quantization.Method == CalibrationMethod.Percentile)
        {
            description["percentile"] = quantization.Percentile;
        }

        proto.MetadataProps.Add(new StringStringEntryProto { Key = QuantizationKey, Value = description.ToJsonString() });
        proto.DocString += $" Int8 (QDQ), calibrated on {images} images.";
    }

    private static (ModelProto Proto, string Input) Build(ClassificationModel model, IOnnxExportable root, ModelConfiguration configuration, OnnxExportOptions options)
    {
        var reference = model.parameters().FirstOrDefault();
        var (channels, height, width) = (configuration.InChannels, configuration.InputHeight, configuration.InputWidth);
        using var noGrad = torch.no_grad();
        var sample = torch.rand([1, channels, height, width], generator: new Generator(0))
            .to(reference?.dtype ?? ScalarType.Float32, reference?.device ?? CPU);
        var graph = new OnnxGraph(configuration.Architecture ?? model.GetType().Name);
        var inputName = graph.Unique(options.IncludePreprocessing ? "pixels" : "input");
        var outputName = graph.Unique("logits");
        var input = options.IncludePreprocessing ? Preprocess(graph, inputName, configuration) : inputName;
        var output = root.ExportOnnx(graph, string.Empty, new OnnxValue(input, sample));
        graph.Proto.Node.Add(new NodeProto { OpType = "Identity", Name = outputName, Input = { output }, Output = { outputName } });
        graph.Proto.Input.Add(OnnxGraph.TensorInfo(inputName, options.IncludePreprocessing ? TensorProto.Types.DataType.Uint8 : TensorProto.Types.DataType.Float, ["batch", channels, height, width]));
        graph.Proto.Output.Add(OnnxGraph.TensorInfo(outputName, TensorProto.Types.DataType.Float, ["batch", configuration.NumClasses]));

        var version = typeof(OnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
        var proto = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "CnnClassify",
            ProducerVersion = version.Split('+')[0],
            DocString = $"{configuration.Architecture ?? model.GetType().Name} image classifier: {inputName} [batch, {channels}, {height}, {width}] to {outputName} [batch, {configuration.NumClasses}].",
            Graph = graph.Proto,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = Opset });
        proto.MetadataProps.Add(new StringStringEntryProto { Key = ConfigurationKey, Value = configuration.ToJson().ToJsonString() });
        proto.MetadataProps.Add(new StringStringEntryProto { Key = InputKey, Value = options.IncludePreprocessing ? "uint8_pixels" : "float32_normalized" });
        proto.MetadataProps.Add(new StringStringEntryProto { Key = ClassNamesKey, Value = JsonSerializer.Serialize(configuration.ClassNames) });
        return (proto, input);
    }

    // uint8 pixels to the model's input: / 255, then (x - mean) / std per channel, in float32 as
    // ToTensor and Normalize compute it.
    private static string Preprocess(OnnxGraph graph, string pixels, ModelConfiguration configuration)
    {
        const string Path = "preprocessing";
        var scaled = graph.Node("Div", [graph.Node("Cast", [pixels], Path, ("to", (long)TensorProto.Types.DataType.Float)), graph.Constant($"{Path}.pixel_max", [255f])], Path);
        var (mean, std) = (configuration.Preprocessing.Mean, configuration.Preprocessing.Std);
        if (mean.Count == 0)
        {
            return scaled;
        }

        var channels = configuration.InChannels;
        float[] PerChannel(IReadOnlyList<double> values) => [.. Enumerable.Range(0, channels).Select(c => (float)values[values.Count == 1 ? 0 : c])];
        var centred = graph.Node("Sub", [scaled, graph.Constant($"{Path}.mean", PerChannel(mean), 1, channels, 1, 1)], Path);
        return graph.Node("Div", [centred, graph.Constant($"{Path}.std", PerChannel(std), 1, channels, 1, 1)], Path);
    }
}
