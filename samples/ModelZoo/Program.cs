// Prints the summary of every model in the zoo, at its usual input size, with 1,000 classes.
// Usage: dotnet run -c Release --project samples/ModelZoo [-- NAME...]
using CnnClassify.Building;
using CnnClassify.Models;

var names = args.Length > 0 ? args : ModelZoo.Names;
foreach (var name in names)
{
    var small = name is "lenet5" or "simplecnn";
    var (channels, size, classes) = small ? (1, 28, 10) : (3, 224, 1000);
    using var model = ModelZoo.Create(name, new ModelOptions { NumClasses = classes, InChannels = channels, ImageSize = size });
    var summary = model.Summary(SampleShape.Image(channels, size, size));
    Console.WriteLine($"== {name} ({channels}x{size}x{size}, {classes} classes, head '{model.HeadName}', stages {string.Join(", ", model.Stages.Select(s => s.Name))})");
    Console.WriteLine(summary);
    Console.WriteLine();
}
