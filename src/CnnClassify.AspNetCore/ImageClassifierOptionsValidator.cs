using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace CnnClassify.Serving;

/// <summary>Checks <see cref="ImageClassifierOptions"/> when the application starts, naming each bad option.</summary>
internal sealed partial class ImageClassifierOptionsValidator : IValidateOptions<ImageClassifierOptions>
{
    public ValidateOptionsResult Validate(string? name, ImageClassifierOptions options)
    {
        var failures = new List<string>();
        var names = options.Models.Keys.Concat(options.Factories.Keys).ToList();
        if (names.Count == 0)
        {
            failures.Add("ImageClassifier: no model is registered; call AddModel(name, path) or set Models.");
        }

        failures.AddRange(names.Where(n => !ModelName().IsMatch(n)).Select(n => $"ImageClassifier: the model name '{n}' must be 1 to 64 letters, digits, '.', '_' or '-'."));
        failures.AddRange(names.GroupBy(n => n, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => $"ImageClassifier: the model name '{g.Key}' is registered more than once."));
        foreach (var (model, path) in options.Models)
        {
            if (string.IsNullOrWhiteSpace(path) || !path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            {
                failures.Add($"ImageClassifier: Models:{model} is '{path}', not an .onnx file (a checkpoint is served with AddModel(name, _ => Predictor.FromCheckpoint(path)) from the CnnClassify package).");
            }
            else if (!File.Exists(path))
            {
                failures.Add($"ImageClassifier: Models:{model}: the file '{path}' does not exist.");
            }
        }

        Within(failures, nameof(options.MaxUploadBytes), options.MaxUploadBytes, 1, 1L << 30);
        Within(failures, nameof(options.MaxBatchUploadBytes), options.MaxBatchUploadBytes, 1, 1L << 30);
        Within(failures, nameof(options.MaxImagesPerRequest), options.MaxImagesPerRequest, 1, 4096);
        Within(failures, nameof(options.MaxPixels), options.MaxPixels, 1, 1L << 32);
        Within(failures, nameof(options.MaxBatchSize), options.MaxBatchSize, 1, 4096);
        Within(failures, nameof(options.QueueLength), options.QueueLength, 1, 1_000_000);
        Within(failures, nameof(options.DefaultTop), options.DefaultTop, 1, 1000);
        Within(failures, $"{nameof(options.BatchDelay)} (ms)", (long)options.BatchDelay.TotalMilliseconds, 0, 1000);
        Within(failures, $"{nameof(options.RequestTimeout)} (ms)", (long)Math.Ceiling(options.RequestTimeout.TotalMilliseconds), 1, (long)TimeSpan.FromHours(1).TotalMilliseconds);
        Within(failures, $"{nameof(options.RetryAfter)} (s)", (long)options.RetryAfter.TotalSeconds, 1, 3600);
        if (options.BatchDelay < TimeSpan.Zero)
        {
            failures.Add("ImageClassifier: BatchDelay is negative.");
        }

        if (options.MaxImagesPerRequest > options.QueueLength)
        {
            failures.Add($"ImageClassifier: MaxImagesPerRequest ({options.MaxImagesPerRequest}) is above QueueLength ({options.QueueLength}), so a full batch request could never be admitted.");
        }

        if (options.AllowedContentTypes.Count == 0)
        {
            failures.Add("ImageClassifier: AllowedContentTypes is empty, so no image could be sent.");
        }

        failures.AddRange(options.AllowedContentTypes.Where(t => !t.StartsWith("image/", StringComparison.OrdinalIgnoreCase) && t != "application/octet-stream")
            .Select(t => $"ImageClassifier: AllowedContentTypes holds '{t}', which is not an image type."));
        if (options.HealthPath is { } health && !health.StartsWith('/'))
        {
            failures.Add($"ImageClassifier: HealthPath '{health}' must start with '/'.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Within(List<string> failures, string option, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            failures.Add($"ImageClassifier: {option} is {value:N0}; it must be {min:N0} to {max:N0}.");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex ModelName();
}
