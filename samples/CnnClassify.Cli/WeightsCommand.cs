using System.CommandLine;
using System.Globalization;
using CnnClassify.Downloads;
using CnnClassify.Models;

namespace CnnClassify.Cli;

/// <summary><c>weights [MODEL]</c>: the pretrained-weight catalogue, with what is in the local cache.</summary>
internal static class WeightsCommand
{
    public static Command Create(TextWriter output)
    {
        var model = new Argument<string?>("model") { Description = "Only this model's weights.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("weights", "List the published pretrained weights and which are in the torch hub cache.") { model };
        command.SetAction(parse =>
        {
            var entries = parse.GetValue(model) is { } name ? WeightCatalog.For(name) : WeightCatalog.All;
            if (entries.Count == 0)
            {
                throw new UsageException($"No published weights for '{parse.GetValue(model)}'. Models with weights: {string.Join(", ", WeightCatalog.All.Select(w => w.Model).Distinct())}.");
            }

            output.WriteLine($"{"model",-18} {"weights",-32} {"acc@1",6} {"acc@5",6} {"params",12} {"GFLOPS",7}  {"eval",-22} {"file",-38} cached");
            foreach (var w in entries)
            {
                var label = w.Name == WeightCatalog.DefaultName(w.Model) ? $"{w.Name} (DEFAULT)" : w.Name;
                var eval = $"{w.Preprocessing.ResizeSize}->{w.CropSize} {w.Preprocessing.Interpolation.ToString().ToLowerInvariant()}";
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{w.Model,-18} {label,-32} {w.Accuracy1,6:F2} {w.Accuracy5,6:F2} {w.Parameters,12:N0} {w.Gflops,7:F2}  {eval,-22} {w.FileName,-38} {(w.IsCached ? "yes" : "no")}"));
            }

            output.WriteLine($"cache: {WeightCache.Directory} (TORCH_HOME or XDG_CACHE_HOME move it; {WeightCache.BaseUrlVariable} sets a mirror)");
            output.WriteLine(WeightCatalog.LicenseNote);
            return 0;
        });
        return command;
    }
}
