// Runs mongo-java-server on a chosen address, for the local stack (see stack/stack.ts).
//
//   java -cp '.local/jars/mongo/*' stack/MongoServerLauncher.java <host> <port> <memory|h2-file-path>
//
// "memory" keeps everything in the JVM heap; anything else is the path of an H2 MVStore file that
// keeps the data across restarts. Prints one "MONGO READY ..." line once it accepts connections.
// SIGTERM (or Ctrl-C) runs a shutdown hook that stops the server and closes the backend, which
// commits and closes the H2 file so nothing written before the signal is lost.
// Set STACK_MONGO_OPLOG=1 to enable the oplog (needed only for change streams; costs a write per write).

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

public class MongoServerLauncher {
    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: MongoServerLauncher <host> <port> <memory|h2-file-path>");
            System.exit(2);
        }
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        String storage = args[2];

        MongoBackend backend;
        if (storage.equals("memory")) {
            backend = new MemoryBackend();
        } else {
            Path file = Path.of(storage).toAbsolutePath();
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            backend = new H2Backend(file.toString());
        }

        MongoServer server = new MongoServer(backend);
        if ("1".equals(System.getenv("STACK_MONGO_OPLOG"))) {
            server.enableOplog();
        }

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("MONGO STOPPING");
            try {
                server.shutdownNow(); // closes client connections, then the backend (H2: commit + close)
            } catch (RuntimeException e) {
                e.printStackTrace();
            } finally {
                System.out.println("MONGO STOPPED");
                System.out.flush();
                stopped.countDown();
            }
        }, "mongo-shutdown"));

        try {
            server.bind(host, port);
        } catch (RuntimeException e) {
            System.err.println("MONGO FAILED to bind " + host + ":" + port + ": " + e);
            backend.close();
            System.exit(1);
        }
        System.out.println("MONGO READY mongodb://" + host + ":" + port + " storage=" + storage
                + " pid=" + ProcessHandle.current().pid());
        System.out.flush();
        stopped.await(); // netty threads keep the JVM alive; the hook ends it
    }
}
