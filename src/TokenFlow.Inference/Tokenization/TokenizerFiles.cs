namespace TokenFlow.Inference.Tokenization;

/// <summary>Loads a tokenizer given on its own (<c>--tokenizer</c>): a Hugging Face tokenizer.json, a vocabulary GGUF or a llama2.c tokenizer.bin.</summary>
public static class TokenizerFiles
{
    /// <summary>Loads <paramref name="path"/>; its vocabulary must fit the model's <paramref name="modelVocab"/> embedding rows.</summary>
    public static ITextTokenizer Load(string path, int modelVocab)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: tokenizer file not found", path);
        ITextTokenizer tok;
        if (Formats.GgufFile.HasMagic(path))
        {
            using var g = Formats.GgufFile.Open(path);
            tok = GgufTokenizerLoader.Load(g);
        }
        else if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".json.gz", StringComparison.OrdinalIgnoreCase))
            tok = HfTokenizerJson.Load(path);
        else return SentencePieceBpeTokenizer.LoadLlama2c(path, modelVocab);
        if (tok.VocabSize > modelVocab)
            throw new InvalidDataException($"{path}: tokenizer has {tok.VocabSize} tokens but the model has only {modelVocab} embedding rows");
        return tok;
    }
}
