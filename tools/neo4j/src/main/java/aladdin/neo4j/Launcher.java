package aladdin.neo4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;
import org.neo4j.logging.log4j.Log4jLogProvider;

/**
 * Runs the real Neo4j Community engine embedded, with only its Bolt connector
 * listening on 127.0.0.1. Meant for local development and tests.
 *
 * Environment:
 *   NEO4J_HOME_DIR       DBMS home (data/, logs/ live below it); default .run/neo4j (relative to cwd)
 *                        A first command-line argument overrides it.
 *   NEO4J_TEST_PORT      Bolt port; default 7687
 *   NEO4J_TEST_PASSWORD  if set (and non-empty): auth on, user "neo4j" gets this password
 *                        (min. 8 characters, Neo4j's default rule); if unset: auth off
 *   NEO4J_PAGECACHE_MB   page cache size in MiB; default 64
 *   NEO4J_TX_TIMEOUT_S   server-side timeout of every transaction, in seconds; default 30
 *   NEO4J_TX_MEMORY_MB   heap one transaction may use, in MiB; default 256
 *   NEO4J_PROCEDURES     the procedure allowlist (comma-separated, * wildcards); default PROCEDURES
 *
 * Hardened as docs/operations.md asks of a production server: LOAD CSV may not read
 * file:/// URLs and its import directory is an empty folder of the home; only the
 * procedures the product and the Cypher console use are loaded; every transaction has
 * a timeout and a memory limit.
 */
public final class Launcher {

    /** The procedures the product calls (schema waits, vector search) and the console allows. */
    static final String PROCEDURES = String.join(",",
            "db.awaitIndex", "db.awaitIndexes", "db.index.vector.queryNodes",
            "db.index.vector.queryRelationships", "db.index.fulltext.queryNodes",
            "db.index.fulltext.queryRelationships", "db.labels", "db.relationshipTypes",
            "db.propertyKeys", "db.schema.visualization", "db.schema.nodeTypeProperties",
            "db.schema.relTypeProperties");

    private Launcher() {}

    public static void main(String[] args) throws Exception {
        try {
            run(args);
        } catch (Throwable t) {
            // Neo4j's non-daemon threads would keep a half-started JVM alive: fail fast instead
            // (System.exit runs the shutdown hook, if it was registered, to close the DBMS).
            t.printStackTrace(System.out);
            System.out.println("neo4j failed to start: " + t); // last, so start.sh's log tail shows it
            System.out.flush();
            System.exit(1);
        }
    }

    private static void run(String[] args) throws Exception {
        Path home = Path.of(args.length > 0 ? args[0] : env("NEO4J_HOME_DIR", ".run/neo4j"))
                .toAbsolutePath().normalize();
        int port = Integer.parseInt(env("NEO4J_TEST_PORT", "7687"));
        long pageCacheMb = Long.parseLong(env("NEO4J_PAGECACHE_MB", "64"));
        String password = System.getenv("NEO4J_TEST_PASSWORD");
        boolean auth = password != null && !password.isEmpty();
        long txTimeoutSeconds = Long.parseLong(env("NEO4J_TX_TIMEOUT_S", "30"));
        long txMemoryMb = Long.parseLong(env("NEO4J_TX_MEMORY_MB", "256"));
        List<String> procedures = List.of(env("NEO4J_PROCEDURES", PROCEDURES).split(","));
        Path importDir = Files.createDirectories(home.resolve("import"));

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                // Neo4j's user-facing log (startup, warnings) to stdout, i.e. neo4j.log via start.sh.
                .setUserLogProvider(new Log4jLogProvider(System.out))
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(pageCacheMb))
                .setConfig(GraphDatabaseSettings.auth_enabled, auth)
                // LOAD CSV: no file:/// URLs at all, and the import root an empty folder.
                .setConfig(GraphDatabaseSettings.allow_file_urls, false)
                .setConfig(GraphDatabaseSettings.load_csv_file_url_root, importDir)
                .setConfig(GraphDatabaseSettings.procedure_allowlist, procedures)
                .setConfig(GraphDatabaseSettings.transaction_timeout, Duration.ofSeconds(txTimeoutSeconds))
                .setConfig(GraphDatabaseSettings.memory_transaction_max_size, ByteUnit.mebiBytes(txMemoryMb))
                // No anonymous usage reports (dbms.usage_report.enabled); this is a local test server.
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                // Netty's default 5 s "quiet period" (paid twice) makes shutdown take ~10 s; not needed here.
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                .build();

        // Shut down cleanly on SIGTERM/SIGINT (stop.sh sends TERM) so the store is not left dirty.
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("neo4j shutting down");
            try {
                dbms.shutdown();
            } finally {
                System.out.println("neo4j stopped");
                System.out.flush();
                stopped.countDown();
            }
        }, "neo4j-shutdown"));

        if (auth) {
            // Embedded code runs with full privileges, so the system database can set the
            // built-in user's password directly (also on a reused store, where the
            // password may have changed). Community supports ALTER USER.
            dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME).executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED", Map.of("pw", password));
        }

        // Ensure the default database is up before announcing readiness.
        dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME).executeTransactionally("RETURN 1");
        System.out.println("neo4j ready bolt://127.0.0.1:" + port + (auth ? " (auth on)" : " (auth off)")
                + "; transaction timeout " + txTimeoutSeconds + " s, memory " + txMemoryMb + " MiB");
        System.out.flush();

        stopped.await(); // keep the main thread alive until the shutdown hook has run
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? fallback : v;
    }
}
