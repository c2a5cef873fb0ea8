using CnnClassify.Cli;
using CnnClassify.Data;
using CnnClassify.Tests.Data;

namespace CnnClassify.Tests.MultiLabel;

/// <summary>Images and labels read from CSV and TSV tables, and by a function of the path.</summary>
public sealed class LabelTableTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnnclassify-labels-").FullName;

    public LabelTableTests()
    {
        for (var i = 0; i < 8; i++)
        {
            TestImages.Write(Path.Combine(_dir, "photos", $"{i}.png"), width: 12, height: 10, seed: i);
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Table(string name, params string[] lines)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void A_table_with_several_labels_per_row_is_multi_label_with_classes_in_ordinal_order_and_multi_hot_targets()
    {
        var table = Table("labels.csv", "file,tags,notes", "photos/0.png,dog;cat,x", "photos/1.png,\"bird; dog\",y", "photos/2.png,,z");

        var data = LabeledImageDataset.FromCsv(table, new LabelTableOptions { PathColumn = "file", LabelColumn = "tags", LabelSeparator = ';', ImageRoot = _dir });
        using var batch = new DataLoader(data).Epoch().Single();

        Assert.True(data.IsMultiLabel);
        Assert.Equal(["bird", "cat", "dog"], data.Classes);
        Assert.Equal([1, 2], data.LabelsAt(0));
        Assert.Equal([0, 2], data.LabelsAt(1));
        Assert.Empty(data.LabelsAt(2));
        Assert.Throws<InvalidOperationException>(() => data.LabelAt(0));
        Assert.Equal(new long[] { 3, 3 }, batch.Labels.shape);
        Assert.Equal(TorchSharp.torch.ScalarType.Float32, batch.Labels.dtype);
        Assert.Equal(new float[] { 0, 1, 1, 1, 0, 1, 0, 0, 0 }, batch.Labels.data<float>().ToArray());
    }

    [Fact]
    public void A_table_with_one_label_per_row_is_single_label_with_class_index_targets_and_columns_may_be_positions()
    {
        var table = Table("labels.tsv", "b\tphotos/0.png", "a\tphotos/1.png", "b\tphotos/2.png");

        var data = LabeledImageDataset.FromCsv(table, new LabelTableOptions { HasHeader = false, PathColumnIndex = 1, LabelColumnIndex = 0 });
        using var batch = new DataLoader(data).Epoch().Single();

        Assert.False(data.IsMultiLabel);
        Assert.Equal(["a", "b"], data.Classes);
        Assert.Equal(new long[] { 1, 0, 1 }, batch.Labels.data<long>().ToArray());
    }

    [Fact]
    public void Rows_naming_a_missing_image_an_empty_label_or_an_unknown_class_are_left_out_with_a_warning_naming_each_line()
    {
        var table = Table("labels.csv", "image,labels", "photos/0.png,cat", "photos/gone.png,cat", "photos/1.png,cat;;dog", "photos/2.png,dog", "photos/3.png,fox", "photos/4.png,  ");
        var logger = new ListLogger();

        var data = LabeledImageDataset.FromCsv(table, new LabelTableOptions { LabelSeparator = ';', Classes = ["cat", "dog"], MultiLabel = false, Logger = logger });

        Assert.Equal(2, data.Count);
        Assert.Equal([Path.Combine(_dir, "photos/0.png"), Path.Combine(_dir, "photos/2.png")], data.Files);
        Assert.Collection(data.Skipped,
            s => Assert.Equal(($"{table} line 3", $"the image '{Path.Combine(_dir, "photos/gone.png")}' does not exist"), s),
            s => Assert.Equal(($"{table} line 4", "a label is empty"), s),
            s => Assert.Equal(($"{table} line 6", "the label 'fox' is not one of the 2 classes given"), s),
            s => Assert.Equal(($"{table} line 7", "the label is empty"), s));
        Assert.Contains(logger.Messages, m => m.Contains("4 of 6 labelled images left out", StringComparison.Ordinal));
    }

    [Fact]
    public void In_strict_mode_the_first_bad_row_is_an_error_naming_its_line()
    {
        var table = Table("labels.csv", "image,label", "photos/0.png,cat", "photos/gone.png,cat");

        var error = Assert.Throws<InvalidDataException>(() => LabeledImageDataset.FromCsv(table, new LabelTableOptions { Strict = true }));

        Assert.StartsWith($"{table} line 3: the image '", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_column_that_is_not_in_the_header_is_named_with_the_columns_there_are()
    {
        var table = Table("labels.csv", "image,labels", "photos/0.png,cat");

        var error = Assert.Throws<InvalidDataException>(() => LabeledImageDataset.FromCsv(table, new LabelTableOptions { LabelColumn = "tags" }));

        Assert.Equal($"Label table '{table}' has no column named 'tags' for the label; its columns are 'image', 'labels'.", error.Message);
    }

    [Fact]
    public void A_cell_longer_than_the_limit_is_refused_by_line_before_it_is_kept()
    {
        var table = Table("labels.csv", "image,labels", "photos/0.png,cat", $"photos/1.png,{new string('x', LabeledImageDataset.MaxCellLength + 1)}");

        var error = Assert.Throws<InvalidDataException>(() => LabeledImageDataset.FromCsv(table));

        Assert.Equal($"Label table '{table}' line 3: a cell holds 65,537 characters, more than the 65,536 allowed.", error.Message);
    }

    [Fact]
    public void Positive_weights_are_each_labels_negatives_over_its_positives()
    {
        Assert.Equal([4.0, 1.0, 1.0], ClassStatistics.PositiveWeights([2, 0, 5], samples: 10));
    }

    [Fact]
    public void Labels_can_come_from_a_function_of_the_path()
    {
        var paths = Enumerable.Range(0, 4).Select(i => Path.Combine(_dir, "photos", $"{i}.png")).ToList();

        var data = LabeledImageDataset.FromFunction(paths, p => int.Parse(Path.GetFileNameWithoutExtension(p), System.Globalization.CultureInfo.InvariantCulture) % 2 == 0 ? ["even"] : ["odd", "small"]);

        Assert.True(data.IsMultiLabel);
        Assert.Equal(["even", "odd", "small"], data.Classes);
        Assert.Equal([1, 2], data.LabelsAt(3));
    }

    [Fact]
    public void Iterative_stratification_keeps_every_labels_share_within_one_sample_of_the_fraction()
    {
        // Labels of very different frequencies that overlap, as in real tagging data.
        var random = new Random(3);
        var rows = Enumerable.Range(0, 400).Select(i => (string[])[.. new[] { "common", "rare", "rarer", "other" }.Where((_, k) => random.NextDouble() < new[] { 0.6, 0.1, 0.03, 0.3 }[k])]).ToList();
        var paths = Enumerable.Range(0, 400).Select(i => Path.Combine(_dir, "photos", $"{i % 8}.png")).ToList();
        var index = 0;
        var data = LabeledImageDataset.FromFunction(paths, _ => rows[index++], new LabelTableOptions { MultiLabel = true });

        var (train, held) = DatasetSplit.Split(data, 0.25, seed: 0, stratified: true);

        Assert.Equal(400, train.Count + held.Count);
        Assert.Equal(100, held.Count);
        for (var c = 0; c < data.Classes.Count; c++)
        {
            var total = Enumerable.Range(0, data.Count).Count(i => data.LabelsAt(i).Contains(c));
            var inHeld = Enumerable.Range(0, held.Count).Count(i => held.LabelsAt(i).Contains(c));
            Assert.True(Math.Abs(inHeld - (total * 0.25)) <= 1, $"{data.Classes[c]}: {inHeld} of {total} held out");
        }
    }
}
