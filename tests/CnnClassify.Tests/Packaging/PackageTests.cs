using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using CnnClassify.Models;

namespace CnnClassify.Tests.Packaging;

/// <summary>
/// Packs the library, then restores a throwaway consumer from the fresh package through a local
/// feed and trains one step with it, as a NuGet user would.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class PackageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-package-").FullName;
    private readonly string _version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}";

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        foreach (var id in new[] { "cnnclassify", "cnnclassify.core" })
        {
            var cached = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages", id, _version);
            if (Directory.Exists(cached))
            {
                Directory.Delete(cached, recursive: true);
            }
        }
    }

    [Fact]
    public void The_package_installs_into_a_new_project_and_trains()
    {
        var feed = Path.Combine(_dir, "feed");
        Run("dotnet", ["pack", RepositoryPaths.Combine("src", "CnnClassify", "CnnClassify.csproj"), "-c", "Release", "-o", feed, $"-p:Version={_version}"], RepositoryPaths.Root);
        // Predictions and decoding live in CnnClassify.Core, which the ONNX package shares.
        Run("dotnet", ["pack", RepositoryPaths.Combine("src", "CnnClassify.Core", "CnnClassify.Core.csproj"), "-c", "Release", "-o", feed, $"-p:Version={_version}"], RepositoryPaths.Root);

        var package = Path.Combine(feed, $"CnnClassify.{_version}.nupkg");
        Assert.True(File.Exists(Path.Combine(feed, $"CnnClassify.{_version}.snupkg")), "no symbols package");
        using (var archive = ZipFile.OpenRead(package))
        {
            var entries = archive.Entries.Select(e => e.FullName).ToList();
            Assert.Contains("README.md", entries);
            Assert.Contains("lib/net10.0/CnnClassify.dll", entries);
            Assert.Contains("lib/net10.0/CnnClassify.xml", entries);
            using var nuspec = archive.GetEntry("CnnClassify.nuspec")!.Open();
            var metadata = XDocument.Load(nuspec).Root!.Elements().First();
            var license = metadata.Elements().Single(e => e.Name.LocalName == "license");
            Assert.Equal(("expression", "MIT"), ((string)license.Attribute("type")!, license.Value));
            var dependencies = metadata.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => (string)e.Attribute("id")!).ToList();
            Assert.Contains("TorchSharp", dependencies);
            Assert.Contains("CnnClassify.Core", dependencies);
            Assert.DoesNotContain(dependencies, id => id.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase));
        }

        var consumer = Path.Combine(_dir, "consumer");
        Directory.CreateDirectory(consumer);
        File.WriteAllText(Path.Combine(consumer, "nuget.config"), $"""
            <configuration>
              <packageSources>
                <add key="local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(consumer, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="CnnClassify" Version="{_version}" />
                {TorchBackendPackage.Reference}
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(consumer, "Program.cs"), """
            using CnnClassify.Models;
            using CnnClassify.Data;
            using CnnClassify.Training;
            using TorchSharp;
            using static TorchSharp.torch;

            var model = CnnBuilder.Input(1, 8, 8).Conv(4, 3, padding: 1).ReLU().Flatten().Dense(2).Build();
            var dataset = new TensorDataset(torch.randint(0, 255, [8, 1, 8, 8], dtype: ScalarType.Byte), [0, 1, 0, 1, 0, 1, 0, 1], ["a", "b"]);
            var loader = new DataLoader(dataset, new CnnClassify.Data.Transforms.ToTensor(), new DataLoaderOptions { BatchSize = 8 });
            var trainer = Trainer.For(model).Build();
            var history = trainer.Fit(loader, null, epochs: 1);
            Console.WriteLine($"trained {trainer.GlobalStep} step, loss {history.Epochs[0].TrainLoss:F4}");
            """);

        var output = Run("dotnet", ["run", "-c", "Release"], consumer);

        Assert.Contains("trained 1 step, loss ", output);
    }

    private static string Run(string file, string[] arguments, string directory)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(600_000), $"{file} {string.Join(' ', arguments)} timed out");
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}):\n{output}\n{error.Result}");
        return output;
    }
}
