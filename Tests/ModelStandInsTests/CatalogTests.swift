import Testing
@testable import ModelStandIns

@Suite struct CatalogTests {
    static let required = [
        "anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-sonnet-20240229-v1:0",
        "anthropic.claude-3-5-sonnet-20240620-v1:0", "amazon.titan-text-express-v1", "amazon.titan-text-lite-v1",
        "amazon.titan-embed-text-v2:0", "meta.llama3-8b-instruct-v1:0", "meta.llama3-70b-instruct-v1:0",
        "mistral.mistral-7b-instruct-v0:2",
    ]

    @Test(arguments: required)
    func lookupByIdAndArn(_ id: String) throws {
        let m = try #require(ModelCatalog.lookup(id, region: "eu-west-1"))
        #expect(m.modelId == id)
        #expect(m.modelArn(region: "eu-west-1") == "arn:aws:bedrock:eu-west-1::foundation-model/\(id)")
        #expect(ModelCatalog.lookup("arn:aws:bedrock:eu-west-1::foundation-model/\(id)", region: "eu-west-1") == m)
        // Another region's ARN, an ARN with an account, or another resource type is not this model.
        #expect(ModelCatalog.lookup("arn:aws:bedrock:us-east-1::foundation-model/\(id)", region: "eu-west-1") == nil)
        #expect(ModelCatalog.lookup("arn:aws:bedrock:eu-west-1:123456789012:foundation-model/\(id)", region: "eu-west-1") == nil)
        #expect(ModelCatalog.lookup("arn:aws:bedrock:eu-west-1:123456789012:custom-model/\(id)/abc", region: "eu-west-1") == nil)
    }

    @Test func unknownModels() {
        #expect(ModelCatalog.lookup("anthropic.claude-9", region: region) == nil)
        #expect(ModelCatalog.lookup("", region: region) == nil)
        #expect(ModelCatalog.lookup("arn:aws:bedrock", region: region) == nil)
    }

    @Test func summaryFields() throws {
        let v = try haiku.summaryJSON(region: "us-west-2")
        #expect(v.objectValue?.keys == [
            "modelArn", "modelId", "modelName", "providerName", "inputModalities", "outputModalities",
            "responseStreamingSupported", "customizationsSupported", "inferenceTypesSupported", "modelLifecycle",
        ])
        #expect(v["modelArn"] == "arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-haiku-20240307-v1:0")
        #expect(v["modelName"] == "Claude 3 Haiku")
        #expect(v["providerName"] == "Anthropic")
        #expect(v["outputModalities"] == ["TEXT"])
        #expect(v["responseStreamingSupported"] == true)
        #expect(v["inferenceTypesSupported"] == ["ON_DEMAND", "PROVISIONED"])
        #expect(v["modelLifecycle"]?["status"] == "ACTIVE")
        let e = try titanEmbed.summaryJSON(region: region)
        #expect(e["outputModalities"] == ["EMBEDDING"])
        #expect(e["responseStreamingSupported"] == false)
        #expect(try mistral7b.providerName == "Mistral AI")
    }

    @Test func familiesAndProviders() throws {
        #expect(try haiku.family == .anthropicMessages)
        #expect(try titanExpress.family == .titanText)
        #expect(try titanEmbed.family == .titanEmbedding)
        #expect(try llama8b.family == .llamaText)
        #expect(try mistral7b.family == .mistralText)
        #expect(try haiku.provider.shortName == "anthropic")
        #expect(try llama8b.provider.shortName == "meta")
        #expect(ModelProvider.anthropic.isThirdParty && ModelProvider.anthropic.requiresUseCaseForm)
        #expect(!ModelProvider.amazon.isThirdParty && !ModelProvider.amazon.requiresUseCaseForm)
        #expect(ModelProvider.meta.isThirdParty && !ModelProvider.meta.requiresUseCaseForm)
        #expect(ModelProvider.mistral.isThirdParty && !ModelProvider.mistral.requiresUseCaseForm)
        #expect(ModelCatalog.models(provider: .amazon).map(\.modelId) == [
            "amazon.titan-text-express-v1", "amazon.titan-text-lite-v1", "amazon.titan-embed-text-v2:0",
        ])
    }

    @Test func listFilters() throws {
        #expect(ModelCatalog.list().count == ModelCatalog.all.count)
        #expect(ModelCatalog.list(byProvider: "anthropic").count == 3)
        #expect(ModelCatalog.list(byProvider: "Mistral AI").map(\.modelId) == ["mistral.mistral-7b-instruct-v0:2"])
        #expect(ModelCatalog.list(byOutputModality: "EMBEDDING").map(\.modelId) == ["amazon.titan-embed-text-v2:0"])
        let ft = ModelCatalog.list(byCustomizationType: "FINE_TUNING").map(\.modelId)
        #expect(ft.contains("amazon.titan-text-express-v1") && ft.contains("anthropic.claude-3-haiku-20240307-v1:0"))
        #expect(ModelCatalog.list(byInferenceType: "PROVISIONED").count == ModelCatalog.all.count)
        let body = try json(ModelCatalog.listFoundationModelsBody(region: region))
        #expect(body["modelSummaries"]?.arrayValue?.count == ModelCatalog.all.count)
        let one = try json(ModelCatalog.getFoundationModelBody(titanLite, region: region))
        #expect(one["modelDetails"]?["modelId"] == "amazon.titan-text-lite-v1")
    }
}
