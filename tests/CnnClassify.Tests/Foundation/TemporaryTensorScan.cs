using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;

namespace CnnClassify.Tests.Foundation;

/// <summary>
/// Finds, in an assembly's IL, the methods that open no dispose scope and use a TorchSharp tensor
/// that nothing holds: the result of a call returning <c>Tensor</c> that is not stored, returned
/// or duplicated, only passed on (as in <c>x.permute(2, 0, 1).contiguous()</c>). Outside a dispose
/// scope such a temporary is unreachable once its handle is read, so the finalizer may free the
/// native tensor while the next call still reads it.
/// </summary>
internal static class TemporaryTensorScan
{
    /// <summary>Every method (as <c>Namespace.Type</c> and method name) with unheld tensor temporaries and no dispose scope, with their number.</summary>
    public static IReadOnlyList<(string Type, string Method, int Temporaries)> Find(Assembly assembly)
    {
        var found = new List<(string, string, int)>();
        ImplicitScalarScan.EachMethod(assembly, (reader, type, method, il) =>
        {
            var instructions = Instructions(il);
            if (instructions.Any(i => i.Token != 0 && CalledName(reader, i.Token) == "NewDisposeScope"))
            {
                return;
            }

            var temporaries = instructions.Zip(instructions.Skip(1)).Count(pair => pair.First.Opcode is 0x28 or 0x6F && ReturnsTensor(reader, pair.First.Token) && !Holds(pair.Second.Opcode));
            if (temporaries > 0)
            {
                found.Add((type, method, temporaries));
            }
        });
        return found;
    }

    // Stores to a local, argument, field or array element, a return, or a duplicate that one of those takes.
    private static bool Holds(int opcode) => opcode is (>= 0x0A and <= 0x0E) or 0x10 or 0x13 or 0xFE0B or 0xFE0E or 0x7D or 0x80 or 0x81 or 0x2A or 0x25 or (>= 0x9B and <= 0xA4);

    private static List<(int Opcode, int Token)> Instructions(byte[] il)
    {
        var instructions = new List<(int, int)>();
        var position = 0;
        while (position < il.Length)
        {
            int opcode = il[position++];
            if (opcode == 0xFE)
            {
                opcode = 0xFE00 | il[position++];
            }

            instructions.Add((opcode, opcode is 0x28 or 0x6F or 0x73 ? BitConverter.ToInt32(il, position) : 0));
            position += ImplicitScalarScan.OperandSize(opcode, il, position);
        }

        return instructions;
    }

    private static string CalledName(MetadataReader reader, int token) => MetadataTokens.EntityHandle(token) switch
    {
        { Kind: HandleKind.MemberReference } h => reader.GetString(reader.GetMemberReference((MemberReferenceHandle)h).Name),
        { Kind: HandleKind.MethodDefinition } h => reader.GetString(reader.GetMethodDefinition((MethodDefinitionHandle)h).Name),
        { Kind: HandleKind.MethodSpecification } h => CalledName(reader, MetadataTokens.GetToken(reader.GetMethodSpecification((MethodSpecificationHandle)h).Method)),
        _ => string.Empty,
    };

    private static bool ReturnsTensor(MetadataReader reader, int token)
    {
        var handle = MetadataTokens.EntityHandle(token);
        var signature = handle.Kind switch
        {
            HandleKind.MemberReference => reader.GetMemberReference((MemberReferenceHandle)handle).Signature,
            HandleKind.MethodDefinition => reader.GetMethodDefinition((MethodDefinitionHandle)handle).Signature,
            _ => default,
        };
        if (signature.IsNil)
        {
            return false;
        }

        var blob = reader.GetBlobReader(signature);
        return new SignatureDecoder<string, object?>(new ImplicitScalarScan.TypeNames(), reader, null).DecodeMethodSignature(ref blob).ReturnType == "Tensor";
    }
}
