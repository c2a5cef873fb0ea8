using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using CnnClassify.Data;
using CnnClassify.Downloads;
using CnnClassify.Native;
using CnnClassify.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnClassify.Diagnostics;

/// <summary>
/// What this process runs on and what it would choose: the CPU as LibTorch sees it, threads,
/// the precision and layout defaults, the library versions and backend, CUDA, Open MPI, the
/// weight cache and the dataset folders. <c>cnnclassify doctor</c> prints it, and run reports
/// take their environment section from it.
/// </summary>
public static class EnvironmentReport
{
    private static readonly string[] Browsers = ["chromium", "chromium-browser", "google-chrome", "chrome"];

    /// <summary>The machine: CPU, capabilities, threads, precision and layout defaults, versions, backend, CUDA and the operating system.</summary>
    public static IReadOnlyList<EnvironmentCheck> Machine()
    {
        LibTorchSetup.Ensure();
        var cpu = CpuCapabilities.Current;
        var precision = PrecisionChoice.For(Precision.Auto, cuda.is_available() ? CUDA : CPU);
        var bf16 = PrecisionChoice.For(Precision.Bf16, DeviceType.CPU, cpu);
        var checks = new List<EnvironmentCheck>
        {
            new("CPU", CpuCapabilities.ProcessorName()),
            new("CPU capability", cpu.Describe(), cpu.Known, cpu.Known ? null : "LibTorch's CPU functions are read on Linux x64 only; elsewhere precision auto runs float32 on the CPU."),
            new("Threads", string.Create(CultureInfo.InvariantCulture, $"{get_num_threads()} torch threads, {get_num_interop_threads()} inter-op, {Environment.ProcessorCount} logical processors"),
                get_num_threads() <= Environment.ProcessorCount,
                get_num_threads() <= Environment.ProcessorCount ? null : "more torch threads than processors slows every step; set UseThreads(n) or --threads to at most the processor count."),
            new("Precision (auto)", precision.ToString(), true,
                bf16.Warning is null ? null : "bf16 here is emulated, about 8x slower than fp32: keep --amp auto (or none); an explicit bf16 warns."),
            new("Memory layout", "standard (NCHW) by default; channels-last is opt-in (UseChannelsLast)"),
            new("CnnClassify", Version(typeof(EnvironmentReport).Assembly)),
            new("TorchSharp", Version(typeof(torch).Assembly)),
            new("LibTorch", __version__),
            new("LibTorch backend", Backend()),
            Cuda(),
            new(".NET", RuntimeInformation.FrameworkDescription),
            new("OS", $"{RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture})"),
        };
        return checks;
    }

    /// <summary>Everything <c>cnnclassify doctor</c> shows: <see cref="Machine"/>, then Open MPI, Chromium, the weight cache and the dataset folders.</summary>
    public static IReadOnlyList<EnvironmentCheck> Collect() =>
        [.. Machine(), OpenMpi(), Chromium(), WeightCacheCheck(), .. Datasets()];

    private static string Version(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? assembly.GetName().Version?.ToString()
        ?? "unknown";

    /// <summary>The folder of the LibTorch library this process loaded, and whether it is a CPU or CUDA build.</summary>
    private static string Backend()
    {
        var kind = cuda.is_available() || File.Exists(Path.Combine(LoadedLibTorchFolder() ?? string.Empty, "libtorch_cuda.so")) ? "CUDA build" : "CPU build";
        return LoadedLibTorchFolder() is { } folder ? $"{kind}, {folder}" : kind;
    }

    private static string? LoadedLibTorchFolder()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            var line = File.ReadLines("/proc/self/maps").FirstOrDefault(l => l.EndsWith("/libtorch_cpu.so", StringComparison.Ordinal));
            return line is null ? null : Path.GetDirectoryName(line[line.IndexOf('/', StringComparison.Ordinal)..]);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static EnvironmentCheck Cuda()
    {
        if (!cuda.is_available())
        {
            return new("CUDA", "no device (this LibTorch build or machine has none); training runs on the CPU", true,
                "for NVIDIA GPUs reference TorchSharp-cuda-linux or TorchSharp-cuda-windows instead of the CPU package.");
        }

        return new("CUDA", string.Create(CultureInfo.InvariantCulture, $"{cuda.device_count()} device(s); precision auto picks fp16 with loss scaling"));
    }

    private static EnvironmentCheck OpenMpi()
    {
        if (!OperatingSystem.IsLinux())
        {
            return new("Open MPI", "not used on this OS", false, "data-parallel training (UseDistributed, mpirun) runs on Linux with Open MPI 4.1 or 5.0.");
        }

        // Looked for, never loaded: Open MPI's transports install signal handlers that would take
        // over the ones .NET relies on for the rest of this process.
        var library = LibraryFolders().Select(folder => Path.Combine(folder, "libmpi.so.40")).FirstOrDefault(File.Exists);
        if (library is null)
        {
            return new("Open MPI", "libmpi.so.40 not found", false, "only for data-parallel training: install Open MPI (Debian and Ubuntu: openmpi-bin), then launch with mpirun.");
        }

        var mpirun = FindOnPath("mpirun");
        return mpirun is null
            ? new("Open MPI", $"{library} found, mpirun not on PATH", false, "put Open MPI's bin folder on PATH to launch data-parallel runs.")
            : new("Open MPI", $"{library} and {mpirun}");
    }

    private static EnvironmentCheck Chromium()
    {
        var browser = Browsers.Select(FindOnPath).FirstOrDefault(p => p is not null);
        return browser is null
            ? new("Chromium", "not found", false, "optional: only to screenshot report.html headless (Debian and Ubuntu: chromium).")
            : new("Chromium", browser);
    }

    private static EnvironmentCheck WeightCacheCheck()
    {
        var folder = WeightCache.Directory;
        if (!Directory.Exists(folder))
        {
            return new("Weight cache", $"{folder} (not created yet)", true, "pretrained weights are downloaded here on first use, or copied in by hand for offline machines.");
        }

        var files = new DirectoryInfo(folder).EnumerateFiles().Take(10_000).ToList();
        var weights = files.Where(f => f.Extension is ".pth" or ".safetensors").ToList();
        var partial = files.Count(f => f.Name.EndsWith(".partial", StringComparison.Ordinal));
        var size = weights.Sum(f => f.Length) / (1024.0 * 1024.0);
        var value = string.Create(CultureInfo.InvariantCulture, $"{folder}: {weights.Count} weight file(s), {size:F0} MiB")
            + (weights.Count > 0 ? $" ({string.Join(", ", weights.Take(8).Select(f => f.Name))}{(weights.Count > 8 ? ", ..." : string.Empty)})" : string.Empty);
        return partial == 0
            ? new("Weight cache", value)
            : new("Weight cache", value, false, $"{partial} interrupted download(s) (*.partial) can be deleted.");
    }

    private static IEnumerable<EnvironmentCheck> Datasets()
    {
        var locator = new DatasetLocator();
        foreach (var variant in new[] { MnistVariant.FashionMnist, MnistVariant.Mnist })
        {
            var places = locator.SearchPath(variant);
            string? found;
            try
            {
                found = locator.LocateAsync(variant, download: false).GetAwaiter().GetResult();
            }
            catch (FileNotFoundException)
            {
                found = null;
            }

            var name = DatasetLocator.FolderName(variant);
            yield return found is null
                ? new($"Dataset {name}", $"not found in {string.Join(", ", places)}", true, "downloaded on first use, or pass --data DIR (Debian: the dataset-fashion-mnist package installs Fashion-MNIST).")
                : new($"Dataset {name}", found);
        }
    }

    /// <summary>Where the dynamic loader looks: LD_LIBRARY_PATH, then the usual system folders.</summary>
    private static IEnumerable<string> LibraryFolders() =>
        (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat([$"/usr/lib/{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant() switch { "x64" => "x86_64", "arm64" => "aarch64", var other => other }}-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib"]);

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, program))
            .FirstOrDefault(File.Exists);
}
