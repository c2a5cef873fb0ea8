using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnClassify.Models;

/// <summary>
/// What a model does to one input sample: a row per layer with its output shape, parameters and
/// multiply-accumulates (MACs), and totals. <see cref="ToString"/> renders it as a table.
/// </summary>
/// <remarks>
/// The summary runs one sample of zeros through the model in evaluation mode, without gradients,
/// and restores the model's mode afterwards. MACs count the multiply-accumulates of convolutions
/// (including transposed ones) and linear layers, the operations that dominate a CNN's cost; bias
/// additions, normalisation, activations and pooling are not counted. Only submodules that are
/// invoked through <c>call</c> are seen, as TorchSharp runs hooks there.
/// </remarks>
public sealed class ModelSummary
{
    private const double BytesPerMegabyte = 1024.0 * 1024.0;

    private ModelSummary(SampleShape inputShape, SampleShape? outputShape, IReadOnlyList<LayerSummary> layers, long total, long trainable, long parameterBytes, long macs)
    {
        InputShape = inputShape;
        OutputShape = outputShape;
        Layers = layers;
        TotalParameters = total;
        TrainableParameters = trainable;
        ParameterBytes = parameterBytes;
        MultiplyAccumulates = macs;
    }

    /// <summary>The shape of one input sample.</summary>
    public SampleShape InputShape { get; }

    /// <summary>The shape of one output sample, or <see langword="null"/> if the model returned no per-sample tensor.</summary>
    public SampleShape? OutputShape { get; }

    /// <summary>The rows, in registration order, parents before children.</summary>
    public IReadOnlyList<LayerSummary> Layers { get; }

    /// <summary>Number of parameters (elements), each shared parameter counted once.</summary>
    public long TotalParameters { get; }

    /// <summary>Number of parameters that require gradients.</summary>
    public long TrainableParameters { get; }

    /// <summary>Number of parameters that do not require gradients, such as frozen layers.</summary>
    public long NonTrainableParameters => TotalParameters - TrainableParameters;

    /// <summary>Memory held by the parameters, in bytes.</summary>
    public long ParameterBytes { get; }

    /// <summary>Memory held by the parameters, in megabytes of 1,048,576 bytes.</summary>
    public double ParameterMegabytes => ParameterBytes / BytesPerMegabyte;

    /// <summary>Multiply-accumulates of convolutions and linear layers for one sample.</summary>
    public long MultiplyAccumulates { get; }

    /// <summary>Summarises <paramref name="model"/> for one input sample of <paramref name="inputShape"/>.</summary>
    /// <param name="model">Any module that maps a batch tensor to a batch tensor.</param>
    /// <param name="inputShape">The shape of one input sample, without the batch dimension.</param>
    /// <param name="depth">How many levels of nested modules get a row, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="depth"/> is below 1.</exception>
    /// <exception cref="InvalidOperationException">The model fails on an input of that shape; the message has the model's error.</exception>
    public static ModelSummary Create(nn.Module<Tensor, Tensor> model, SampleShape inputShape, int depth = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputShape);
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);

        var tree = ModuleTree.Walk(model).ToList();
        var outputs = new Dictionary<nn.Module, SampleShape?>(ReferenceEqualityComparer.Instance);
        var macs = new Dictionary<nn.Module, long>(ReferenceEqualityComparer.Instance);
        var removers = new List<Action>();
        foreach (var (_, module, _) in tree)
        {
            if (module is nn.Module<Tensor, Tensor> hookable)
            {
                var remover = hookable.register_forward_hook((m, input, output) =>
                {
                    outputs[m] = PerSampleShape(output);
                    macs[m] = macs.GetValueOrDefault(m) + MultiplyAccumulatesOf(m, input, output);
                    return null!;
                });
                removers.Add(remover.remove);
            }
        }

        var modelOutput = Run(model, inputShape, removers);
        var rows = tree.Where(entry => entry.Depth >= 1 && entry.Depth <= depth)
            .Select(entry => Row(entry.Name, entry.Module, entry.Depth, tree, outputs, macs))
            .ToList();
        if (rows.Count == 0)
        {
            rows.Add(Row(model.GetType().Name, model, 1, tree, outputs, macs));
        }

        var parameters = DistinctParameters(model);
        return new ModelSummary(
            inputShape,
            modelOutput,
            rows,
            parameters.Sum(p => p.numel()),
            parameters.Where(p => p.requires_grad).Sum(p => p.numel()),
            parameters.Sum(p => p.numel() * p.ElementSize),
            macs.Values.Sum());
    }

    /// <summary>The per-layer table followed by the totals, such as <c>Total params: 11,689,512</c>.</summary>
    public override string ToString()
    {
        string[] header = ["Layer", "Type", "Output shape", "Params", "MACs"];
        var cells = Layers.Select(row => new[]
        {
            new string(' ', 2 * (row.Depth - 1)) + row.Name,
            row.Type,
            row.OutputShape?.ToString() ?? "-",
            Count(row.Parameters),
            Count(row.MultiplyAccumulates),
        }).ToList();
        var widths = header.Select((title, column) => cells.Select(cell => cell[column].Length).Append(title.Length).Max()).ToArray();
        var rule = new string('-', widths.Sum() + (2 * (widths.Length - 1)));

        var text = new StringBuilder();
        text.AppendLine(FormatRow(header, widths)).AppendLine(rule.Replace('-', '='));
        foreach (var cell in cells)
        {
            text.AppendLine(FormatRow(cell, widths));
        }

        text.AppendLine(rule.Replace('-', '='))
            .AppendLine(CultureInfo.InvariantCulture, $"Input shape: {InputShape}")
            .AppendLine(CultureInfo.InvariantCulture, $"Output shape: {OutputShape?.ToString() ?? "-"}")
            .AppendLine(CultureInfo.InvariantCulture, $"Total params: {Count(TotalParameters)}")
            .AppendLine(CultureInfo.InvariantCulture, $"Trainable params: {Count(TrainableParameters)}")
            .AppendLine(CultureInfo.InvariantCulture, $"Non-trainable params: {Count(NonTrainableParameters)}")
            .AppendLine(CultureInfo.InvariantCulture, $"Params size (MB): {ParameterMegabytes:F2}")
            .Append(CultureInfo.InvariantCulture, $"MACs per sample: {Count(MultiplyAccumulates)} ({Scaled(MultiplyAccumulates)})");
        return text.ToString();
    }

    private static SampleShape? Run(nn.Module<Tensor, Tensor> model, SampleShape inputShape, List<Action> removers)
    {
        var wasTraining = model.training;
        var reference = model.parameters().FirstOrDefault();
        var dtype = reference is not null && reference.is_floating_point() ? reference.dtype : ScalarType.Float32;
        var device = reference?.device ?? CPU;
        model.eval();
        try
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            return PerSampleShape(model.call(torch.zeros(inputShape.WithBatch(1), dtype, device)));
        }
        catch (Exception ex) when (ex is ExternalException or ArgumentException or InvalidOperationException)
        {
            throw new InvalidOperationException($"Cannot summarise {model.GetType().Name}: it fails on an input of shape 1x{inputShape}: {ex.Message}", ex);
        }
        finally
        {
            removers.ForEach(remove => remove());
            model.train(wasTraining);
        }
    }

    private static LayerSummary Row(string name, nn.Module module, int depth, List<(string Name, nn.Module Module, int Depth)> tree, Dictionary<nn.Module, SampleShape?> outputs, Dictionary<nn.Module, long> macs)
    {
        var prefix = name + ".";
        var subtree = tree.Where(entry => entry.Module == module || entry.Name.StartsWith(prefix, StringComparison.Ordinal));
        return new LayerSummary(
            name,
            module.GetType().Name,
            depth,
            outputs.GetValueOrDefault(module),
            DistinctParameters(module).Sum(p => p.numel()),
            subtree.Sum(entry => macs.GetValueOrDefault(entry.Module)));
    }

    private static List<Parameter> DistinctParameters(nn.Module module) =>
        module.parameters().DistinctBy(p => p.Handle).ToList();

    private static SampleShape? PerSampleShape(Tensor? output) =>
        output is null || output.dim() < 1 ? null : new SampleShape(output.shape[1..]);

    private static long MultiplyAccumulatesOf(nn.Module module, Tensor input, Tensor output)
    {
        static long PerOutputElement(Tensor weight) => weight.shape.Skip(1).Aggregate(1L, (product, size) => product * size);

        var batch = Math.Max(output.dim() > 0 ? output.shape[0] : 1, 1);
        return module switch
        {
            Convolution { transposed: false } conv => output.numel() / batch * PerOutputElement(conv.weight),
            Convolution conv => input.numel() / batch * PerOutputElement(conv.weight),
            Linear linear => output.numel() / batch * linear.in_features,
            _ => 0,
        };
    }

    private static string FormatRow(string[] cells, int[] widths) =>
        string.Join("  ", cells.Select((cell, column) => column >= 3 ? cell.PadLeft(widths[column]) : cell.PadRight(widths[column]))).TrimEnd();

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Scaled(long value) => value switch
    {
        >= 1_000_000_000 => (value / 1e9).ToString("F2", CultureInfo.InvariantCulture) + " G",
        >= 1_000_000 => (value / 1e6).ToString("F2", CultureInfo.InvariantCulture) + " M",
        >= 1_000 => (value / 1e3).ToString("F2", CultureInfo.InvariantCulture) + " K",
        _ => value.ToString(CultureInfo.InvariantCulture),
    };
}
