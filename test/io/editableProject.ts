/** A parsed project document typed loosely enough for tests to break any field on purpose. */

export type JsonObject = Record<string, unknown>;

export interface EditableProject extends JsonObject {
  training: JsonObject;
  dataset: JsonObject;
  graph: JsonObject & {
    nodes: Array<JsonObject & { params: JsonObject; position: JsonObject }>;
    edges: JsonObject[];
  };
}
