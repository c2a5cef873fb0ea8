// Classifies photos with a model exported by `cnnclassify export` (or ClassificationModel.ExportOnnx),
// the way a deployed application does: this program references CnnClassify.Onnx only, so it
// carries ONNX Runtime and ImageSharp and no LibTorch.
//
//   dotnet run --project samples/OnnxDeploy -- model.onnx photo1.jpg photo2.png [--top 3]
using System.CommandLine;
using CnnClassify.Data;
using CnnClassify.Onnx;

var model = new Argument<FileInfo>("model") { Description = "The .onnx file written by 'cnnclassify export'." };
var images = new Argument<FileInfo[]>("images") { Description = "Image files to classify.", Arity = ArgumentArity.OneOrMore };
var top = new Option<int>("--top") { Description = "Classes to list per image.", DefaultValueFactory = _ => 1 };
var root = new RootCommand("Classify images with an exported CnnClassify model on ONNX Runtime.") { model, images, top };
root.SetAction(parse =>
{
    try
    {
        using var predictor = new OnnxPredictor(parse.GetValue(model)!.FullName);
        var description = predictor.Description;
        Console.WriteLine($"{description.Architecture ?? "model"}: {description.InChannels}x{description.InputHeight}x{description.InputWidth}, {predictor.ClassNames.Count} classes{(description.TakesPixels ? ", preprocessing in the graph" : string.Empty)}");
        foreach (var prediction in predictor.PredictBatch(parse.GetValue(images)!.Select(f => f.FullName)))
        {
            Console.WriteLine($"{prediction.Source}: {string.Join(", ", prediction.TopK(Math.Max(1, parse.GetValue(top))).Select(c => $"{c.Name} {c.Probability:P1}"))}");
        }

        return 0;
    }
    catch (Exception ex) when (ex is InvalidDataException or InvalidImageException or FileNotFoundException)
    {
        Console.Error.WriteLine(ex.Message);
        return 1;
    }
});
return root.Parse(args).Invoke();
