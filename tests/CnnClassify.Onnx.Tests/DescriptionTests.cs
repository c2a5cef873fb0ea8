namespace CnnClassify.Onnx.Tests;

public class DescriptionTests
{
    private static Dictionary<string, string> Metadata(string? task) => new()
    {
        [OnnxModelDescription.ConfigurationKey] =
            "{\"num_classes\":2,\"in_channels\":3,\"input_height\":8,\"input_width\":8,\"class_names\":[\"a\",\"b\"]"
            + (task is null ? "" : $",\"task\":\"{task}\"") + ",\"preprocessing\":{\"mean\":[],\"std\":[]}}",
    };

    [Fact]
    public void The_task_is_read_from_the_metadata_and_a_file_from_before_tasks_is_single_label()
    {
        Assert.Equal("single-label", OnnxModelDescription.Read(Metadata("single-label"), "m.onnx").Task);
        Assert.Equal("single-label", OnnxModelDescription.Read(Metadata(null), "old.onnx").Task);
    }

    [Fact]
    public void An_unknown_task_is_refused_with_the_file_name()
    {
        var error = Assert.Throws<InvalidDataException>(() => OnnxModelDescription.Read(Metadata("detection"), "m.onnx"));

        Assert.Contains("'m.onnx'", error.Message, StringComparison.Ordinal);
        Assert.Contains("detection", error.Message, StringComparison.Ordinal);
    }
}
