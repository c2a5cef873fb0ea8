// Benchmarks that are not part of the test suite. Usage:
//   dotnet run -c Release --project benchmarks/CnnClassify.Benchmarks -- loader [--images N] [--workers 1,2,4]
//   dotnet run -c Release --project benchmarks/CnnClassify.Benchmarks -- training [--batches N]
using CnnClassify.Benchmarks;

var command = args.FirstOrDefault();
var options = args.Skip(1).ToArray();
switch (command)
{
    case "loader":
        LoaderBenchmark.Run(options);
        return 0;
    case "training":
        TrainingBenchmark.Run(options);
        return 0;
    default:
        Console.Error.WriteLine("Usage: CnnClassify.Benchmarks loader [--images N] [--workers 1,2,4] | training [--batches N]");
        return 2;
}
