package dev.oneloop.backend.contract;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oneloop.backend.testing.RecordingHandler.Eof;
import dev.oneloop.backend.testing.RecordingHandler.Event;
import dev.oneloop.backend.testing.RecordingHandler.Failed;
import dev.oneloop.backend.testing.RecordingHandler.Written;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * End of stream: the peer half-closes; {@code onEof} once, no spinning, writing still works.
 * See {@link ContractSuite} for how the suites run.
 */
public abstract class HalfCloseContract extends ContractSuite {

    @Test
    void reportsEndOfStreamOnceAndStillWritesAfterThePeerHalfCloses() throws Exception {
        startRecordingLoop(SMALL).rearmReads(true);
        Connection c = acceptOne(0);
        loop.run(b -> b.read(c.handle));
        c.client.send(ascii("hello, "));
        c.client.send(ascii("world"));
        c.client.shutdownOutput();

        recorder.awaitFirst(Eof.class, c.handle, SOON);
        assertThat(recorder.bytesRead(c.handle)).isEqualTo(ascii("hello, world"));
        long polls = loop.polls();
        Thread.sleep(QUIET.toMillis());
        assertThat(recorder.count(Eof.class, c.handle)).isOne();
        assertThat(loop.polls() - polls).as("poll returns while idle after end of stream (a loop spinning on EOF)")
                .isLessThan(IDLE_POLLS_ALLOWED);
        List<Event> events = recorder.events();
        assertThat(events.subList(events.indexOf(new Eof(c.handle)) + 1, events.size())).as("events after onEof").isEmpty();

        loop.run(b -> b.write(c.handle, direct(ascii("bye"))));
        assertThat(c.client.readExactly(3)).isEqualTo(ascii("bye"));
        recorder.awaitFirst(Written.class, c.handle, SOON);
        assertThat(recorder.count(Failed.class)).isZero();
    }
}
