using System.Text.Json;

namespace CnnClassify.Tests.Parity;

/// <summary>
/// Runs torchvision_reference.py once for the whole collection and holds its output folder.
/// Where Python with torch is missing the tests skip with the reason; inside the Debian 13 root
/// made by eng/run (CNNCLASSIFY_IN_ROOT=1) it must be present, so there they fail instead.
/// </summary>
public sealed class TorchvisionReference : IDisposable
{
    public TorchvisionReference()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("cnnclassify-torchvision-").FullName;
        var script = RepositoryPaths.Combine("tests", "CnnClassify.Tests", "Parity", "torchvision_reference.py");
        var (exitCode, output) = RunPython(script, Directory);
        if (exitCode != 0)
        {
            UnavailableReason = $"torchvision reference data could not be made with {Python} (exit {exitCode}): {output.Trim().Split('\n').LastOrDefault()}";
            if (PythonProcess.InRoot)
            {
                throw new InvalidOperationException($"{UnavailableReason}\n{output}");
            }

            return;
        }

        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "manifest.json")));
        Manifest = manifest.RootElement.EnumerateObject().ToDictionary(
            model => model.Name,
            model => new ModelManifest(
                model.Value.GetProperty("params").GetInt64(),
                model.Value.GetProperty("keys").EnumerateObject().ToDictionary(
                    key => key.Name,
                    key => key.Value.EnumerateArray().Select(d => d.GetInt64()).ToArray())));
    }

    public static string Python => PythonProcess.Python;

    public string Directory { get; }

    public string? UnavailableReason { get; }

    public IReadOnlyDictionary<string, ModelManifest> Manifest { get; } = new Dictionary<string, ModelManifest>();

    public string PathOf(string file) => Path.Combine(Directory, file);

    public void SkipIfUnavailable() => Skip.If(UnavailableReason is not null, UnavailableReason);

    public static (int ExitCode, string Output) RunPython(params string[] arguments) => PythonProcess.Run(arguments);

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    public sealed record ModelManifest(long Parameters, Dictionary<string, long[]> Keys);
}

/// <summary>
/// The torchvision tests share one reference folder and run alone: the key test switches the
/// default device to "meta", which other tests running at the same time must not see.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchvisionTests : ICollectionFixture<TorchvisionReference>
{
    public const string Name = "torchvision reference";
}
