// The front end's and model hosts' view of the ModelStandIns catalogue.
import ModelStandIns

public struct CatalogEntry: Sendable {
    public let modelId: String
    public let provider: String
}

public enum Catalog {
    public static func lookup(_ idOrArn: String, region: String) -> CatalogEntry? {
        guard let i = ModelCatalog.position(of: idOrArn, region: region) else { return nil }
        return CatalogEntry(modelId: ModelCatalog.all[i].modelId, provider: ModelCatalog.all[i].provider.rawValue)
    }
}

extension Catalog {
    /// Every model id the simulator knows (for topology validation).
    public static var allModelIds: Set<String> { Set(ModelCatalog.all.map(\.modelId)) }
}
