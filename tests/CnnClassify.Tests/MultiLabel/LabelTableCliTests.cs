using CnnClassify.Cli;
using CnnClassify.Tests.Data;

namespace CnnClassify.Tests.MultiLabel;

/// <summary><c>cnnclassify train --labels</c> with tables that hold mistakes, as users' exports do.</summary>
[Collection(SerialTests.Name)]
public sealed class LabelTableCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-labelcli-").FullName;
    private readonly string _test;

    public LabelTableCliTests()
    {
        for (var i = 0; i < 16; i++)
        {
            TestImages.Write(Path.Combine(_dir, "photos", $"{i}.png"), width: 8, height: 8, seed: i);
        }

        _test = Table("test.csv", "image,labels", "photos/12.png,cat", "photos/13.png,dog", "photos/14.png,cat;dog", "photos/15.png,");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Table(string name, params string[] lines)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    private static async Task<(int Code, string Output, string Error)> Cli(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CliApp.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private Task<(int Code, string Output, string Error)> Train(string table, params string[] extra) => Cli([
        "train", "--model", "simplecnn", "--labels", table, "--test-labels", _test, "--image-size", "8", "--epochs", "1", "--batch-size", "4",
        "--val-split", "0.25", "--amp", "none", "--out", Path.Combine(_dir, "run"), .. extra]);

    [Fact]
    public async Task Rows_naming_a_missing_image_or_an_empty_label_are_named_in_warnings_and_every_other_row_trains()
    {
        var rows = Enumerable.Range(0, 12).Select(i => $"photos/{i}.png,{(i % 3) switch { 0 => "cat", 1 => "dog", _ => "cat;dog" }}");
        var table = Table("train.csv", ["image,labels", .. rows.Take(2), "photos/missing.png,cat", "photos/2.png,cat;;dog", .. rows.Skip(2)]);

        var (code, output, error) = await Train(table, "--pos-weight");

        Assert.True(code == 0, $"exit {code}: {error}\n{output}");
        Assert.Contains($"warning: Skipping {table} line 4: the image '{Path.Combine(_dir, "photos/missing.png")}' does not exist", output, StringComparison.Ordinal);
        Assert.Contains($"warning: Skipping {table} line 5: a label is empty", output, StringComparison.Ordinal);
        Assert.Contains("warning: 2 of 14 labelled images left out", output, StringComparison.Ordinal);
        var counts = System.Text.RegularExpressions.Regex.Match(output, @"data: (\d+) train, (\d+) validation, 4 test images, 2 classes, multi-label");
        Assert.True(counts.Success, output);
        Assert.Equal(12, int.Parse(counts.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) + int.Parse(counts.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(File.Exists(Path.Combine(_dir, "run", "metrics.json")));
    }

    [Fact]
    public async Task A_column_the_table_does_not_have_is_one_line_naming_it_and_the_columns_there_are()
    {
        var table = Table("train.csv", "image,labels", "photos/0.png,cat");

        var (code, output, error) = await Train(table, "--label-column", "tags");

        Assert.Equal(1, code);
        Assert.Equal($"error: Label table '{table}' has no column named 'tags' for the label; its columns are 'image', 'labels'.", error.Trim());
        Assert.DoesNotContain("epoch", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "run")));
    }

    [Fact]
    public async Task A_table_that_does_not_exist_is_one_line_and_labels_with_another_dataset_is_a_usage_error()
    {
        var missing = Path.Combine(_dir, "nothing.csv");

        var (code, _, error) = await Train(missing);
        var (usage, _, usageError) = await Cli("train", "--model", "simplecnn", "--dataset", "mnist", "--labels", missing, "--out", Path.Combine(_dir, "run"));

        Assert.Equal(1, code);
        Assert.Equal($"error: Label table '{missing}' does not exist.", error.Trim());
        Assert.Equal(2, usage);
        Assert.Contains("cannot be combined with --dataset mnist", usageError, StringComparison.Ordinal);
    }
}
