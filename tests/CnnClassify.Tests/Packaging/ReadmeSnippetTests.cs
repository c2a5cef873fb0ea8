using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CnnClassify.Tests.Packaging;

/// <summary>
/// The README's C# snippets against the library. Every snippet compiles; those marked
/// <c>&lt;!-- tour --&gt;</c> also run, in order, as one program, on a small folder of generated photos.
/// </summary>
[Collection(SerialTests.Name)]
public sealed partial class ReadmeSnippetTests : IClassFixture<ReadmeSnippetTests.ReadmeProgram>
{
    private readonly ReadmeProgram _program;

    public ReadmeSnippetTests(ReadmeProgram program) => _program = program;

    [Fact]
    public void Every_csharp_snippet_in_the_readme_compiles()
    {
        Assert.True(_program.SnippetCount >= 8, $"only {_program.SnippetCount} C# snippets found");
        Assert.True(_program.BuildExitCode == 0, $"README snippets do not compile:\n{_program.BuildOutput}");
    }

    [Fact]
    public void The_readme_tour_runs_from_loading_photos_to_evaluating_a_checkpoint()
    {
        Assert.True(_program.BuildExitCode == 0, $"README snippets do not compile:\n{_program.BuildOutput}");
        Assert.True(_program.TourCount >= 4, $"only {_program.TourCount} tour snippets found");
        var work = Path.Combine(_program.Directory, "tour");
        WritePhotos(work);

        var (code, output) = ReadmeProgram.Run("dotnet", [Path.Combine(_program.Directory, "bin", "Release", "net10.0", "Snippets.dll")], work);

        Assert.True(code == 0, $"the tour failed:\n{output}");
        Assert.True(File.Exists(Path.Combine(work, "runs", "exp1", "best.ckpt")), output);
        Assert.True(File.Exists(Path.Combine(work, "runs", "exp1", "confusion_matrix.png")), output);
        Assert.Matches(@"(?m)^(cat|dog|fox) \d+(\.\d)?\s?%$", output);
        Assert.Contains("macro avg", output, StringComparison.Ordinal);
    }

    /// <summary>Three classes of 72x56 JPEG photos: a red, green or blue blob on noise, at varying places.</summary>
    private static void WritePhotos(string root)
    {
        var random = new Random(5);
        void Photo(string path, int label)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var image = new Image<Rgb24>(72, 56);
            var (cx, cy) = (random.Next(20, 52), random.Next(16, 40));
            for (var y = 0; y < image.Height; y++)
            {
                for (var x = 0; x < image.Width; x++)
                {
                    var inside = ((x - cx) * (x - cx)) + ((y - cy) * (y - cy)) < 150;
                    byte Noise() => (byte)random.Next(80);
                    image[x, y] = inside
                        ? new Rgb24(label == 0 ? (byte)230 : Noise(), label == 1 ? (byte)230 : Noise(), label == 2 ? (byte)230 : Noise())
                        : new Rgb24(Noise(), Noise(), Noise());
                }
            }

            image.SaveAsJpeg(path);
        }

        string[] classes = ["cat", "dog", "fox"];
        for (var c = 0; c < classes.Length; c++)
        {
            for (var i = 0; i < 12; i++)
            {
                Photo(Path.Combine(root, "photos", "train", classes[c], $"{i:D3}.jpg"), c);
            }

            for (var i = 0; i < 4; i++)
            {
                Photo(Path.Combine(root, "photos", "test", classes[c], $"{i:D3}.jpg"), c);
            }
        }

        Photo(Path.Combine(root, "photo.jpg"), 1);
    }

    /// <summary>The README's snippets as one console program, built once for both tests.</summary>
    public sealed partial class ReadmeProgram : IDisposable
    {
        private static readonly (string Type, string Name)[] Givens =
        [
            ("CnnClassify.Models.ClassificationModel", "model"),
            ("CnnClassify.Data.DataLoader", "trainLoader"),
            ("CnnClassify.Data.DataLoader", "validationLoader"),
            ("CnnClassify.Data.DataLoader", "testLoader"),
            ("CnnClassify.Data.IImageDataset", "testDataset"),
            ("CnnClassify.Training.History", "history"),
            ("CnnClassify.Training.Trainer", "trainer"),
            ("CnnClassify.Data.Transforms.IImageTransform", "augment"),
        ];

        public ReadmeProgram()
        {
            Directory = System.IO.Directory.CreateTempSubdirectory("cnnclassify-readme-").FullName;
            var readme = File.ReadAllText(RepositoryPaths.Combine("README.md"));
            var snippets = Snippet().Matches(readme).Select(m => (Tour: m.Groups[1].Success, Code: m.Groups[2].Value)).ToList();
            SnippetCount = snippets.Count;
            TourCount = snippets.Count(s => s.Tour);

            var usings = new SortedSet<string>(StringComparer.Ordinal) { "using System;", "using System.Collections.Generic;", "using System.Linq;", "using System.Threading.Tasks;" };
            var methods = new StringBuilder();
            var tour = new StringBuilder();
            for (var i = 0; i < snippets.Count; i++)
            {
                var lines = snippets[i].Code.Split('\n');
                foreach (var line in lines.Where(IsUsingDirective))
                {
                    usings.Add(line.Trim());
                }

                var body = string.Join('\n', lines.Where(l => !IsUsingDirective(l)));
                if (snippets[i].Tour)
                {
                    tour.Append(body).Append('\n');
                    continue;
                }

                var parameters = Givens.Where(g => !Regex.IsMatch(body, $@"\bvar {g.Name}\b|\b{g.Name} =(?!=)")).Select(g => $"{g.Type} {g.Name}");
                methods.Append(System.Globalization.CultureInfo.InvariantCulture, $"    public static async Task Snippet{i}({string.Join(", ", parameters)})\n    {{\n{body}\n        await Task.CompletedTask;\n    }}\n\n");
            }

            File.WriteAllText(Path.Combine(Directory, "Snippets.cs"), $"{string.Join('\n', usings)}\n\n#pragma warning disable CS8321, CS0219, CA1050\npublic static class ReadmeSnippets\n{{\n    public static async Task Main()\n    {{\n{tour}\n        await Task.CompletedTask;\n    }}\n\n{methods}}}\n");
            File.WriteAllText(Path.Combine(Directory, "Snippets.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
                    <!-- As a web project has it, for the OpenAPI source generator the serving snippet brings. -->
                    <InterceptorsNamespaces>$(InterceptorsNamespaces);Microsoft.AspNetCore.OpenApi.Generated</InterceptorsNamespaces>
                  </PropertyGroup>
                  <ItemGroup>
                    <ProjectReference Include="{RepositoryPaths.Combine("src", "CnnClassify", "CnnClassify.csproj")}" />
                    <ProjectReference Include="{RepositoryPaths.Combine("src", "CnnClassify.Onnx", "CnnClassify.Onnx.csproj")}" />
                    <ProjectReference Include="{RepositoryPaths.Combine("src", "CnnClassify.AspNetCore", "CnnClassify.AspNetCore.csproj")}" />
                    <FrameworkReference Include="Microsoft.AspNetCore.App" />
                    <!-- What a web project (Microsoft.NET.Sdk.Web) imports implicitly, for the serving snippet. -->
                    <Using Include="Microsoft.AspNetCore.Builder" />
                    <Using Include="Microsoft.Extensions.DependencyInjection" />
                    {TorchBackendPackage.Reference}
                  </ItemGroup>
                </Project>
                """);
            (BuildExitCode, BuildOutput) = Run("dotnet", ["build", "-c", "Release", "-nologo", "-clp:ErrorsOnly"], Directory);
        }

        public string Directory { get; }

        public int SnippetCount { get; }

        public int TourCount { get; }

        public int BuildExitCode { get; }

        public string BuildOutput { get; }

        public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

        public static (int ExitCode, string Output) Run(string fileName, string[] arguments, string workingDirectory)
        {
            System.IO.Directory.CreateDirectory(workingDirectory);
            var start = new ProcessStartInfo(fileName) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(600_000))
            {
                process.Kill(entireProcessTree: true);
                return (-1, $"{fileName} timed out\n{output}");
            }

            return (process.ExitCode, $"{output}\n{error.Result}");
        }

        private static bool IsUsingDirective(string line) => UsingDirective().IsMatch(line);

        [GeneratedRegex(@"^using (static )?[A-Za-z_][\w.]*( = [\w.]+)?;\s*$")]
        private static partial Regex UsingDirective();

        [GeneratedRegex(@"(<!-- tour -->\s*\n)?```csharp\n(.*?)```", RegexOptions.Singleline)]
        private static partial Regex Snippet();
    }
}
