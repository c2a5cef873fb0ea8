using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using Microsoft.ML.OnnxRuntime;

namespace CnnClassify.Onnx;

/// <summary>
/// ONNX Runtime's optimized graphs kept on disk (<see cref="OnnxPredictorOptions.OptimizedModelCache"/>):
/// the first load of a model writes the graph ONNX Runtime made of it, and later loads read that
/// graph with no rewriting. A cached graph is named by a hash of the model's bytes, the
/// optimization level, ONNX Runtime's version and the CPU's instruction sets, since the highest
/// level writes layouts for the CPU it ran on; anything else that changes gives a new name.
/// </summary>
internal static class OptimizedModelCache
{
    /// <summary>The cached graph's path for <paramref name="modelPath"/> in <paramref name="folder"/>.</summary>
    public static string PathFor(string folder, string modelPath, OnnxGraphOptimization level)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var model = File.OpenRead(modelPath))
        {
            var buffer = new byte[1 << 16];
            int read;
            while ((read = model.Read(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }
        }

        var machine = $"{level}|{typeof(InferenceSession).Assembly.GetName().Version}|{RuntimeInformation.ProcessArchitecture}|{Avx2.IsSupported}|{Avx512F.IsSupported}|{Avx512Vbmi.IsSupported}|{AvxVnni.IsSupported}|{System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported}";
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes(machine));
        var key = Convert.ToHexStringLower(hash.GetHashAndReset())[..32];
        return Path.Combine(folder, $"{Path.GetFileNameWithoutExtension(modelPath)}.{key}.optimized.onnx");
    }

    /// <summary>
    /// Opens <paramref name="modelPath"/>: from its cached graph when there is one, else by letting
    /// ONNX Runtime optimize it and write the result beside the cache's other graphs, atomically.
    /// </summary>
    public static InferenceSession Open(string modelPath, string folder, SessionOptions options, OnnxGraphOptimization level)
    {
        Directory.CreateDirectory(folder);
        var cached = PathFor(folder, modelPath, level);
        if (File.Exists(cached))
        {
            options.GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL;
            try
            {
                return new InferenceSession(cached, options);
            }
            catch (OnnxRuntimeException)
            {
                // A damaged cache entry is rebuilt from the model below.
                File.Delete(cached);
                options.GraphOptimizationLevel = OnnxPredictor.Level(level);
            }
        }

        var partial = $"{cached}.{Environment.ProcessId}.{Guid.NewGuid():N}.partial";
        options.OptimizedModelFilePath = partial;
        // ONNX Runtime warns that a graph saved at the highest level may hold layouts for this CPU
        // only; the entry's name holds the CPU's instruction sets, so another CPU never reads it.
        options.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
        var session = new InferenceSession(modelPath, options);
        try
        {
            File.Move(partial, cached, overwrite: true);
        }
        catch (IOException)
        {
            // Another process wrote the same graph first, or the folder is read-only: the session
            // is open either way.
            File.Delete(partial);
        }
        catch (UnauthorizedAccessException)
        {
            File.Delete(partial);
        }

        return session;
    }
}
