// Classifies photos with a model exported by `cnnclassify export` (or ClassificationModel.ExportOnnx),
// the way a deployed application does: this program references CnnClassify.Onnx only, so it
// carries ONNX Runtime and ImageSharp and no LibTorch.
//
//   dotnet run --project samples/OnnxDeploy -- model.onnx photo1.jpg photo2.png [--top 3]
using System.CommandLine;
using CnnClassify.Inference;
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
        Console.WriteLine($"{TerminalText.Escape(description.Architecture ?? "model")}: {description.InChannels}x{description.InputHeight}x{description.InputWidth}, {predictor.ClassNames.Count} classes{(description.TakesPixels ? ", preprocessing in the graph" : string.Empty)}");
        foreach (var prediction in predictor.PredictBatch(parse.GetValue(images)!.Select(f => f.FullName)))
        {
            // Names come from files: escaped, so that a class named with terminal escapes prints as text.
            Console.WriteLine($"{TerminalText.Escape(prediction.Source)}: {string.Join(", ", prediction.TopK(Math.Clamp(parse.GetValue(top), 1, predictor.ClassNames.Count)).Select(c => $"{TerminalText.Escape(c.Name)} {c.Probability:P1}"))}");
        }

        return 0;
    }
    catch (Exception ex) when (ex is not OperationCanceledException)
    {
        // Every failure, the model's, an image's or ONNX Runtime's, is one line naming its input.
        Console.Error.WriteLine($"error: {TerminalText.Escape(ex.Message.Split('\n')[0].Trim())}");
        return 1;
    }
});
return root.Parse(args).Invoke();
