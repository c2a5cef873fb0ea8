return await CnnClassify.Cli.CliApp.RunAsync(args, Console.Out, Console.Error);
