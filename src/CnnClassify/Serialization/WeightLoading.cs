using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Serialization;

/// <summary>
/// Loads weights into a module by state-dict key, from PyTorch or safetensors files, and saves
/// them as safetensors with the same keys, so that PyTorch and torchvision can read them back.
/// </summary>
public static class WeightLoading
{
    /// <summary>Loads the tensors in <paramref name="path"/> into <paramref name="model"/> by key.</summary>
    /// <param name="model">The model; its parameters keep their <c>requires_grad</c> setting and device.</param>
    /// <param name="path">A <c>torch.save</c> state dict (<c>.pth</c>, <c>.pt</c>) or a <c>.safetensors</c> file.</param>
    /// <param name="strict">
    /// When <see langword="true"/>, any missing, unexpected or mismatched key is an error and nothing
    /// is changed. When <see langword="false"/>, matching keys load and the rest are reported,
    /// which is how a pretrained backbone with a different head loads for transfer learning.
    /// </param>
    /// <returns>Which keys loaded and which did not.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is malformed, or (when strict) it does not match the model; the message names the file and keys.</exception>
    public static WeightLoadReport LoadWeights(this nn.Module model, string path, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        var source = StateDictFile.Read(path);
        try
        {
            return model.LoadStateDict(source, strict, path);
        }
        finally
        {
            foreach (var tensor in source.Values)
            {
                tensor.Dispose();
            }
        }
    }

    /// <summary>Copies tensors from <paramref name="source"/> into <paramref name="model"/> by key.</summary>
    /// <param name="model">The model.</param>
    /// <param name="source">Tensors by state-dict key; they are not disposed.</param>
    /// <param name="strict">Whether any difference in keys or shapes is an error (then nothing changes).</param>
    /// <param name="sourceName">Where the tensors came from, for error messages.</param>
    /// <returns>Which keys loaded and which did not.</returns>
    /// <exception cref="InvalidDataException">(When strict) the keys or shapes differ.</exception>
    public static WeightLoadReport LoadStateDict(this nn.Module model, IReadOnlyDictionary<string, Tensor> source, bool strict = true, string sourceName = "state dict")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(source);
        var target = model.state_dict();
        var report = Compare(target, source.ToDictionary(pair => pair.Key, pair => pair.Value.shape, StringComparer.Ordinal));
        var loaded = report.Loaded;
        if (strict && !report.IsExact)
        {
            throw new InvalidDataException($"Weights in '{sourceName}' do not match {model.GetType().Name}: {report}. Load with strict: false to take the matching part.");
        }

        using (torch.no_grad())
        using (torch.NewDisposeScope())
        {
            foreach (var key in loaded)
            {
                var destination = target[key];
                destination.copy_(source[key].to(destination.dtype, destination.device));
            }
        }

        return report;
    }

    /// <summary>Which keys of <paramref name="target"/> tensors of <paramref name="shapes"/> would fill, before any is read.</summary>
    /// <param name="target">The model's state dict.</param>
    /// <param name="shapes">The source's shapes by key.</param>
    internal static WeightLoadReport Compare(IReadOnlyDictionary<string, Tensor> target, IReadOnlyDictionary<string, long[]> shapes)
    {
        var loaded = new List<string>();
        var missing = new List<string>();
        var mismatched = new List<string>();
        foreach (var (key, tensor) in target)
        {
            if (!shapes.TryGetValue(key, out var shape))
            {
                missing.Add(key);
            }
            else if (!shape.SequenceEqual(tensor.shape))
            {
                mismatched.Add($"{key} [{string.Join(", ", shape)}] vs [{string.Join(", ", tensor.shape)}]");
            }
            else
            {
                loaded.Add(key);
            }
        }

        var unexpected = shapes.Keys.Where(key => !target.ContainsKey(key)).ToList();
        return new WeightLoadReport(loaded, missing, unexpected, mismatched);
    }

    /// <summary>
    /// Saves every parameter and buffer of <paramref name="model"/> to a safetensors file under its
    /// state-dict key, atomically. For zoo models the keys are torchvision's, so
    /// <c>model.load_state_dict(safetensors.torch.load_file(path))</c> works in Python.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="path">The file to write.</param>
    /// <param name="metadata">Optional string metadata to store in the header.</param>
    public static void SaveSafetensors(this nn.Module model, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        SafetensorsFile.Write(path, model.state_dict(), metadata);
    }
}
