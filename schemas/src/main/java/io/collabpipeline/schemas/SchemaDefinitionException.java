package io.collabpipeline.schemas;

/**
 * A shipped schema or the schema index is missing, unreadable or breaks a rule of the contract
 * (e.g. an unclassified property).
 */
public final class SchemaDefinitionException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SchemaDefinitionException(String message) {
    super(message);
  }

  public SchemaDefinitionException(String message, Throwable cause) {
    super(message, cause);
  }
}
