/**
 * The warehouse seam. A job's configuration holds a {@link
 * io.collabpipeline.pipelines.warehouse.WarehouseTarget} (made from {@code --warehouseUrl} by
 * {@link io.collabpipeline.pipelines.warehouse.WarehouseTargets}, the only code that tells
 * warehouses apart by URL): its Beam writes, live and staged, and a {@link
 * io.collabpipeline.pipelines.warehouse.Warehouse} handle for the driver, split by concern into
 * {@link io.collabpipeline.pipelines.warehouse.CuratedTables}, {@link
 * io.collabpipeline.pipelines.warehouse.ReplayStaging} and {@link
 * io.collabpipeline.pipelines.warehouse.GenerationLog}. What a warehouse cannot do yet is an empty
 * {@code Optional}. The JDBC warehouses (DuckDB, PostgreSQL) live here, with {@code WriteCurated};
 * Snowflake's write and settings live in {@code warehouse.snowflake}.
 *
 * <p>A replay's diff against the stored rows ({@link
 * io.collabpipeline.pipelines.warehouse.WarehouseDiff}) and its saved report ({@link
 * io.collabpipeline.pipelines.warehouse.DiffReport}) live here too.
 */
package io.collabpipeline.pipelines.warehouse;
