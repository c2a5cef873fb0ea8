using CnnClassify.Export;
using CnnClassify.Models;
using CnnClassify.Tests.Data;
using CnnClassify.Training;

namespace CnnClassify.Tests.Hostile;

/// <summary>
/// What the hostile inputs are made from: a small image folder of three classes, a SimpleCNN
/// checkpoint trained on it for one epoch, its ONNX export, and a photo to classify.
/// </summary>
public sealed class HostileFixture : IDisposable
{
    public HostileFixture()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("cnnclassify-hostile-").FullName;
        Data = Path.Combine(Directory, "data");
        foreach (var (c, k) in Classes.Select((c, k) => (c, k)))
        {
            for (var i = 0; i < 4; i++)
            {
                TestImages.Write(Path.Combine(Data, c, $"{i}.png"), 16, 16, seed: (k * 10) + i);
            }
        }

        Image = TestImages.Write(Path.Combine(Directory, "photo.png"), 40, 30, seed: 99);
        var run = Path.Combine(Directory, "run");
        var code = CnnClassify.Cli.CliApp.RunAsync(
            ["train", "--model", "simplecnn", "--dataset", "imagefolder", "--data", Data, "--image-size", "16", "--epochs", "1", "--batch-size", "4", "--val-split", "0.25", "--amp", "none", "--out", run],
            TextWriter.Null, TextWriter.Null).GetAwaiter().GetResult();
        if (code != 0)
        {
            throw new InvalidOperationException($"the fixture's training run failed with exit {code}");
        }

        Checkpoint = Path.Combine(run, "last.ckpt");
        Onnx = Path.Combine(Directory, "model.onnx");
        using var model = CnnClassify.Training.Checkpoint.LoadModel(Checkpoint);
        model.ExportOnnx(Onnx);
    }

    public static string[] Classes { get; } = ["circle", "square", "triangle"];

    public string Directory { get; }

    public string Data { get; }

    public string Image { get; }

    public string Checkpoint { get; }

    public string Onnx { get; }

    /// <summary>A new empty folder for one case.</summary>
    public string CaseFolder(string name) => System.IO.Directory.CreateDirectory(Path.Combine(Directory, "cases", name)).FullName;

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
