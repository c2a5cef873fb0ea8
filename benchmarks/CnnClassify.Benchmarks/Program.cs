// Benchmarks that are not part of the test suite. Usage:
//   dotnet run -c Release --project benchmarks/CnnClassify.Benchmarks -- loader [--images N] [--workers 1,2,4]
//   dotnet run -c Release --project benchmarks/CnnClassify.Benchmarks -- training [--batches N] [--model NAME] [--size N] [--fp32-only] [--no-memory-reuse]
//   dotnet run -c Release --project benchmarks/CnnClassify.Benchmarks -- inference [--channels-last] [--precision bf16] [--onnx] [--checkpoint FASHION.ckpt]
//   dotnet run -c Release --project benchmarks/CnnClassify.Benchmarks -- memory
//   dotnet run -c Release --project benchmarks/CnnClassify.Benchmarks -- time-to-accuracy [--validation] [--target 0.93] [--epochs 12]
//       [--model pyramid|resnet] [--width 32] [--batch-size 256] [--lr 4e-3] [--precision fp32|bf16] [--layout channels-last|standard]
//       [--no-tta] [--evaluate-from N] [--train-count N]
//   dotnet run -c Release --project benchmarks/CnnClassify.Benchmarks -- stress [--steps 4000]
//   dotnet run -c Release --project benchmarks/CnnClassify.Benchmarks -- raw-loop [--epochs 1] [--batch-size 64]
//   dotnet run -c Release --project benchmarks/CnnClassify.Benchmarks -- phases [--model resnet18|simplecnn|pyramid] [--size 32] [--batch-size 128] [--channels-last] [--seconds S --loop bf16|fp32] [--peak]
//   dotnet run -c Release --project benchmarks/CnnClassify.Benchmarks -- photos [--data DIR] [--rounds 2] [--lr 0.01] [--batch-size 16] [--per-class 40] [--decode-only] [--no-cache]
//   dotnet run -c Release --project benchmarks/CnnClassify.Benchmarks -- zoo [--models a,b] [--rounds 3]
//   dotnet run -c Release --project benchmarks/CnnClassify.Benchmarks -- serve [--models simplecnn,resnet18] [--rounds 3] [--faults [--fault-rounds 3] [--kinds 0,4]]
//   mpirun -np 2 dotnet benchmarks/CnnClassify.Benchmarks/bin/Release/net10.0/CnnClassify.Benchmarks.dll allreduce [--models simplecnn,resnet18]
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
    case "inference":
        InferenceBenchmark.Run(options);
        return 0;
    case "memory":
        MemoryBenchmark.Run(options);
        return 0;
    case "time-to-accuracy":
        TimeToAccuracy.Run(options);
        return 0;
    case "stress":
        FinalizerStress.Run(options);
        return 0;
    case "raw-loop":
        RawLoopBenchmark.Run(options);
        return 0;
    case "phases":
        PhaseBenchmark.Run(options);
        return 0;
    case "photos":
        PhotoFolderBenchmark.Run(options);
        return 0;
    case "zoo":
        ZooBenchmark.Run(options);
        return 0;
    case "serve":
        ServeBenchmark.Run(options);
        return 0;
    case "allreduce":
        AllReduceBenchmark.Run(options);
        return 0;
    default:
        Console.Error.WriteLine("Usage: CnnClassify.Benchmarks loader [--images N] [--workers 1,2,4] [--keep DIR] | training [--batches N] [--model NAME] [--size N] [--channels-last] [--fp32-only] [--no-memory-reuse] | inference [--channels-last] [--precision bf16] [--onnx] [--checkpoint FASHION.ckpt] | memory | time-to-accuracy [--validation] [--epochs N] [--model pyramid|resnet] ... | stress [--steps 4000] | raw-loop [--epochs N] [--batch-size N] | phases [--model NAME] [--size N] [--channels-last] [--seconds S] | photos [--data DIR] [--rounds N] [--decode-only] | zoo [--models a,b] [--rounds N] | serve [--models a,b] [--rounds N] [--faults] | allreduce [--models a,b] (under mpirun)");
        return 2;
}
