package dev.oneloop.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HandleTableTest {

    @Test
    void aReusedSlotGetsANewHandleAndTheOldOneStaysDead() {
        HandleTable<String> table = new HandleTable<>(1);
        int first = table.add("first");
        assertThat(table.remove(first)).isTrue();

        int second = table.add("second");

        assertThat(Handles.slot(second)).isEqualTo(Handles.slot(first));
        assertThat(second).isNotEqualTo(first);
        assertThat(table.get(first)).isNull();
        assertThat(table.get(second)).isEqualTo("second");
        assertThat(table.remove(first)).as("removing a stale handle").isFalse();
        assertThat(table.get(second)).isEqualTo("second");
    }

    @Test
    void aRetiredSlotIsNotReusedUntilReleased() {
        HandleTable<String> table = new HandleTable<>(1);
        int handle = table.add("in flight");
        assertThat(table.retire(handle)).isTrue();

        assertThat(table.get(handle)).isNull();
        assertThat(table.size()).isZero();
        assertThat(table.add("other")).as("slot still held for the kernel").isEqualTo(Handles.NONE);
        assertThat(table.atSlot(Handles.slot(handle))).isEqualTo("in flight");

        table.release(Handles.slot(handle));
        assertThat(table.add("other")).isNotEqualTo(Handles.NONE);
    }

    @Test
    void refusesToReleaseALiveOrFreeSlot() {
        HandleTable<String> table = new HandleTable<>(2);
        int handle = table.add("live");
        assertThatThrownBy(() -> table.release(Handles.slot(handle))).isInstanceOf(IllegalStateException.class);
        table.remove(handle);
        assertThatThrownBy(() -> table.release(Handles.slot(handle))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void fillsToCapacityWithDistinctNonNegativeHandlesThenRefuses() {
        HandleTable<Integer> table = new HandleTable<>(100);
        Set<Integer> handles = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            int h = table.add(i);
            assertThat(h).isNotNegative();
            assertThat(table.get(h)).isEqualTo(i);
            handles.add(h);
        }
        assertThat(handles).hasSize(100);
        assertThat(table.add(100)).isEqualTo(Handles.NONE);
        assertThat(table.size()).isEqualTo(100);
    }

    @Test
    void generationsWrapWithinTheirBitsAndHandlesStayNonNegative() {
        HandleTable<String> table = new HandleTable<>(1);
        int previous = table.add("x");
        for (int i = 0; i < 5000; i++) { // more than the 2^11 generations
            table.remove(previous);
            int next = table.add("x");
            assertThat(next).isNotNegative().isNotEqualTo(previous);
            previous = next;
        }
    }

    @Test
    void unknownAndNegativeHandlesAreNotLive() {
        HandleTable<String> table = new HandleTable<>(4);
        assertThat(table.get(Handles.NONE)).isNull();
        assertThat(table.get(Handles.of(3, 0))).isNull();
        assertThat(table.get(Handles.of(Handles.MAX_SLOTS - 1, 0))).isNull();
    }
}
