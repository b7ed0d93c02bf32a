// Writes humanoid.urdf from Gymnasium's humanoid.xml (Humanoid-v5) as MuJoCo compiles it, so
// masses, inertias, COMs and geom poses are MuJoCo's own (inertiafromgeom at density 1000).
//   gcc -O2 -o /tmp/make-humanoid-urdf robots/humanoid/make-urdf.c -lmujoco -lm
//   /tmp/make-humanoid-urdf ../shared/bench/mujoco/assets/humanoid.xml > robots/humanoid/humanoid.urdf
// Conventions (see README.md in this folder):
// - A URDF link frame is the MuJoCo body frame moved to the body's joint anchor (jnt_pos; every
//   joint of a body shares it). Bodies without joints (the feet) hang on a fixed joint.
// - A body with k > 1 hinges (a stacked group) becomes a chain of k revolute joints: the first
//   one carries the body offset and rotation, the others have a zero origin, and the k - 1 links
//   between them are massless placeholders "<body>__<joint>" (mass 1e-6 kg, no geometry).
//   Hinge axes are MuJoCo's body-frame axes, so R_body = R_parent * body_quat * R(a1,q1) * R(a2,q2) ...
// - Capsules are <cylinder>s (length = straight segment) marked as capsules in the sidecar.
#include <mujoco/mujoco.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define PLACEHOLDER_MASS 1e-6
#define PLACEHOLDER_INERTIA 1e-9

static double clean(double x) { return fabs(x) < 5e-16 ? 0.0 : x; }

// URDF rpy of a MuJoCo quaternion (w, x, y, z): R = Rz(yaw) Ry(pitch) Rx(roll).
static void rpy(const double* q, double* out) {
  double m[9];
  mju_quat2Mat(m, q);
  out[0] = atan2(m[7], m[8]);
  out[1] = asin(fmax(-1.0, fmin(1.0, -m[6])));
  out[2] = atan2(m[3], m[0]);
}

static void origin(const char* ind, const double* xyz, const double* quat) {
  double r[3] = {0, 0, 0};
  if (quat) rpy(quat, r);
  printf("%s<origin xyz=\"%.10g %.10g %.10g\" rpy=\"%.10g %.10g %.10g\"/>\n", ind, clean(xyz[0]), clean(xyz[1]), clean(xyz[2]),
         clean(r[0]), clean(r[1]), clean(r[2]));
}

// Joint anchor of body b in its own frame (0 for bodies without joints).
static const double* anchor(const mjModel* m, int b) {
  static const double zero[3] = {0, 0, 0};
  return m->body_jntnum[b] > 0 ? m->jnt_pos + 3 * m->body_jntadr[b] : zero;
}

static void geometry(const mjModel* m, int g) {
  const double* s = m->geom_size + 3 * g;
  if (m->geom_type[g] == mjGEOM_SPHERE) printf("      <geometry><sphere radius=\"%.10g\"/></geometry>\n", s[0]);
  else if (m->geom_type[g] == mjGEOM_CAPSULE) printf("      <geometry><cylinder radius=\"%.10g\" length=\"%.10g\"/></geometry>\n", s[0], 2 * s[1]);
  else fprintf(stderr, "geom %d: unsupported type %d\n", g, m->geom_type[g]);
}

static void link(const mjModel* m, int b) {
  const char* name = mj_id2name(m, mjOBJ_BODY, b);
  const double* a = anchor(m, b);
  double p[3];
  printf("  <link name=\"%s\">\n    <inertial>\n", name);
  mju_sub3(p, m->body_ipos + 3 * b, a);
  origin("      ", p, m->body_iquat + 4 * b);
  const double* I = m->body_inertia + 3 * b;
  printf("      <mass value=\"%.10g\"/>\n", m->body_mass[b]);
  printf("      <inertia ixx=\"%.10g\" ixy=\"0\" ixz=\"0\" iyy=\"%.10g\" iyz=\"0\" izz=\"%.10g\"/>\n    </inertial>\n", I[0], I[1], I[2]);
  for (int g = 0; g < m->ngeom; g++) {
    if (m->geom_bodyid[g] != b) continue;
    mju_sub3(p, m->geom_pos + 3 * g, a);
    for (int k = 0; k < 2; k++) {
      if (k == 0) printf("    <visual>\n");
      else printf("    <collision name=\"%s\">\n", mj_id2name(m, mjOBJ_GEOM, g));
      origin("      ", p, m->geom_quat + 4 * g);
      geometry(m, g);
      printf(k == 0 ? "    </visual>\n" : "    </collision>\n");
    }
  }
  printf("  </link>\n\n");
}

static void placeholder(const char* name) {
  printf("  <!-- Stacked-hinge placeholder: massless in the model, no geometry. -->\n");
  printf("  <link name=\"%s\">\n    <inertial>\n      <origin xyz=\"0 0 0\" rpy=\"0 0 0\"/>\n", name);
  printf("      <mass value=\"%g\"/>\n      <inertia ixx=\"%g\" ixy=\"0\" ixz=\"0\" iyy=\"%g\" iyz=\"0\" izz=\"%g\"/>\n    </inertial>\n  </link>\n\n",
         PLACEHOLDER_MASS, PLACEHOLDER_INERTIA, PLACEHOLDER_INERTIA, PLACEHOLDER_INERTIA);
}

static double gear_of(const mjModel* m, int j) {
  for (int u = 0; u < m->nu; u++)
    if (m->actuator_trnid[2 * u] == j) return m->actuator_gear[6 * u] * fmax(fabs(m->actuator_ctrlrange[2 * u]), fabs(m->actuator_ctrlrange[2 * u + 1]));
  return 0;
}

static void hinge(const mjModel* m, int j, const char* parent, const char* child, const double* xyz, const double* quat) {
  const double* ax = m->jnt_axis + 3 * j;
  printf("  <joint name=\"%s\" type=\"revolute\">\n    <parent link=\"%s\"/>\n    <child link=\"%s\"/>\n", mj_id2name(m, mjOBJ_JOINT, j), parent, child);
  origin("    ", xyz, quat);
  printf("    <axis xyz=\"%.10g %.10g %.10g\"/>\n", clean(ax[0]), clean(ax[1]), clean(ax[2]));
  printf("    <limit lower=\"%.10g\" upper=\"%.10g\" effort=\"%g\" velocity=\"100\"/>\n", m->jnt_range[2 * j], m->jnt_range[2 * j + 1], gear_of(m, j));
  printf("    <dynamics damping=\"%g\" friction=\"0\"/>\n  </joint>\n\n", m->dof_damping[m->jnt_dofadr[j]]);
}

int main(int argc, char** argv) {
  char err[1000];
  if (argc < 2) { fprintf(stderr, "usage: %s humanoid.xml\n", argv[0]); return 2; }
  mjModel* m = mj_loadXML(argv[1], NULL, err, sizeof err);
  if (!m) { fprintf(stderr, "%s\n", err); return 1; }
  printf("<?xml version=\"1.0\"?>\n<!--\n");
  printf("  Humanoid (Gymnasium Humanoid-v5, humanoid.xml) as a URDF. Generated by robots/humanoid/make-urdf.c\n");
  printf("  from the model as MuJoCo %s compiles it: masses, inertias (about the COM, principal axes in\n", mj_versionString());
  printf("  the inertial origin), COMs and geoms are MuJoCo's (density 1000). See README.md here.\n\n");
  printf("  - Free root: floating joint \"root\" (MuJoCo freejoint); qpos x y z qw qx qy qz of the torso.\n");
  printf("  - A link frame is its MuJoCo body frame moved to the body's joint anchor (all joints of a body\n");
  printf("    share one anchor); bodies without joints (the feet) hang on fixed joints.\n");
  printf("  - Stacked hinges (several hinges of one MuJoCo body: abdomen_z+abdomen_y, hip x/z/y, shoulder1+2)\n");
  printf("    are chains of revolute joints through massless placeholder links \"<body>__<joint>\" (1e-6 kg,\n");
  printf("    no geometry): the first joint carries the body offset and rotation, the later ones a zero\n");
  printf("    origin, and the axes are MuJoCo's body-frame axes, so R_body = R_parent * body_quat *\n");
  printf("    R(a1,q1) * R(a2,q2) * ... as in MuJoCo. src/robot/hinge-groups.ts recognises the groups.\n");
  printf("  - Capsules are <cylinder>s (length = straight segment) that humanoid.locomote.yaml marks as\n");
  printf("    capsules; the sidecar also holds armature, stiffness, gears, ctrl range and contact settings.\n");
  printf("-->\n");
  printf("<robot name=\"humanoid\">\n  <link name=\"world\"/>\n\n");
  printf("  <!-- Free root (MuJoCo freejoint \"root\"): qpos x y z qw qx qy qz, the torso pose in the world. -->\n");
  printf("  <joint name=\"root\" type=\"floating\">\n    <parent link=\"world\"/>\n    <child link=\"torso\"/>\n    <origin xyz=\"0 0 0\" rpy=\"0 0 0\"/>\n  </joint>\n\n");
  for (int b = 1; b < m->nbody; b++) {
    const char* name = mj_id2name(m, mjOBJ_BODY, b);
    int pb = m->body_parentid[b];
    if (pb != 0) {
      // Child link frame in the parent link frame: body_pos + R(body_quat) * anchor - parent anchor.
      double off[3], xyz[3];
      mju_rotVecQuat(off, anchor(m, b), m->body_quat + 4 * b);
      mju_add3(xyz, m->body_pos + 3 * b, off);
      mju_subFrom3(xyz, anchor(m, pb));
      const char* parent = mj_id2name(m, mjOBJ_BODY, pb);
      int n = m->body_jntnum[b], j0 = m->body_jntadr[b];
      if (n == 0) {
        printf("  <!-- %s has no joint in MuJoCo (welded to %s). -->\n", name, parent);
        printf("  <joint name=\"%s_weld\" type=\"fixed\">\n    <parent link=\"%s\"/>\n    <child link=\"%s\"/>\n", name, parent, name);
        origin("    ", xyz, m->body_quat + 4 * b);
        printf("  </joint>\n\n");
      } else {
        if (n > 1) printf("  <!-- Stacked hinges of MuJoCo body %s (one anchor): ", name);
        for (int k = 0; n > 1 && k < n; k++) printf("%s%s", k ? ", " : "", mj_id2name(m, mjOBJ_JOINT, j0 + k));
        if (n > 1) printf(". -->\n");
        char prev[128], cur[128];
        snprintf(prev, sizeof prev, "%s", parent);
        static const double zero[3] = {0, 0, 0};
        for (int k = 0; k < n; k++) {
          if (k < n - 1) snprintf(cur, sizeof cur, "%s__%s", name, mj_id2name(m, mjOBJ_JOINT, j0 + k));
          else snprintf(cur, sizeof cur, "%s", name);
          hinge(m, j0 + k, prev, cur, k == 0 ? xyz : zero, k == 0 ? m->body_quat + 4 * b : NULL);
          if (k < n - 1) placeholder(cur);
          snprintf(prev, sizeof prev, "%s", cur);
        }
      }
    }
    link(m, b);
  }
  printf("  <!-- ros2_control: 17 effort-controlled joints (MuJoCo motors, ctrl in [-0.4, 0.4] times gear). -->\n");
  printf("  <ros2_control name=\"humanoid\" type=\"system\">\n    <hardware>\n      <plugin>mock_components/GenericSystem</plugin>\n    </hardware>\n");
  for (int u = 0; u < m->nu; u++) {
    int j = m->actuator_trnid[2 * u];
    double g = gear_of(m, j);
    printf("    <joint name=\"%s\">\n      <command_interface name=\"effort\">\n        <param name=\"min\">%g</param>\n        <param name=\"max\">%g</param>\n      </command_interface>\n", mj_id2name(m, mjOBJ_JOINT, j), -g, g);
    printf("      <state_interface name=\"position\"/>\n      <state_interface name=\"velocity\"/>\n    </joint>\n");
  }
  printf("  </ros2_control>\n</robot>\n");
  mj_deleteModel(m);
  return 0;
}
